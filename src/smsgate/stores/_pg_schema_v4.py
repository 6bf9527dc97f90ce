"""Version 4 of the PostgreSQL store's schema (see :mod:`smsgate.stores._pg_schema`): a batch that
carries writes made behind (:meth:`~smsgate.stores.base.Store.write_behind`).

``smsgate_apply(locks, ops, behind)`` locks every key first (the carrier's and those the carried
writes set), then runs the carried operations ``behind`` and the batch ``ops`` as one batch of the
two-argument function, in a subtransaction: their answers, ``NULL`` appended. Should that fail, it
runs ``behind`` alone in a subtransaction, then ``ops``: a carried write that fails rolls back
alone, the batch still runs and commits (or fails as it would alone), and the answers (of ``ops``
only) end with the carried write's SQLSTATE, which the client logs. An overload, added: a process of version 3 keeps
running its batches unchanged while others upgrade.
"""

from __future__ import annotations

__all__ = ["V4"]

V4 = r"""
CREATE FUNCTION smsgate_apply(locks jsonb, ops jsonb, behind text) RETURNS jsonb LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE failed text;
BEGIN
  IF jsonb_array_length(locks) > 0 THEN  -- before any row changes: a row held never waits for a lock
    PERFORM pg_advisory_xact_lock(1397572935, h)
      FROM (SELECT DISTINCT hashtext(k) AS h FROM jsonb_array_elements_text(locks) AS k) AS s ORDER BY h;
  END IF;
  BEGIN  -- as one batch, the carried writes first (their records put with the batch's, in one pass)
    RETURN smsgate_apply('[]'::jsonb, behind::jsonb || ops) || '[null]'::jsonb;
  EXCEPTION WHEN OTHERS THEN
    NULL;  -- the carried writes or the batch failed: the carried ones alone, then the batch
  END;
  BEGIN
    PERFORM smsgate_apply('[]'::jsonb, behind::jsonb);  -- read here: bad JSON fails alone too
  EXCEPTION WHEN OTHERS THEN
    failed := SQLSTATE;
  END;
  RETURN smsgate_apply('[]'::jsonb, ops) || jsonb_build_array(failed);
END $$;
"""
