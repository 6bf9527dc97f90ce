"""Version 3 of the PostgreSQL store's schema (see :mod:`smsgate.stores._pg_schema`): gates, so that
one ``smsgate_apply`` statement starts a send (:meth:`~smsgate.stores.base.Store.start`).

An operation may name a gate (its third element). A refused ``admit`` closes its gate: the later
operations of that gate are skipped (their answer is ``NULL``). A refused ``reserve`` half-closes
it: the other tokens are still taken, the writes are skipped. The records of no gate are put
first, as in version 2; those of the gates that stayed open together after the other operations,
by the same statement. Replaced in place, so a process of the previous version still runs its
batches unchanged while others upgrade.
"""

from __future__ import annotations

__all__ = ["V3"]

V3 = r"""
-- As in version 2, with gates: [name, [arguments], gate] (see the module's docstring).
CREATE OR REPLACE FUNCTION smsgate_apply(locks jsonb, ops jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  op jsonb;
  a jsonb;
  verb text;
  gate text;
  level int;
  gates jsonb := '{}';  -- the gates refused: 1 a token, 2 the admission
  gated boolean := false;  -- records of a gate given
  moment float8;
  tat float8;
  answer jsonb;
  answers jsonb[] := '{}';
BEGIN
  IF jsonb_array_length(locks) > 0 THEN
    PERFORM pg_advisory_xact_lock(1397572935, h)
      FROM (SELECT DISTINCT hashtext(k) AS h FROM jsonb_array_elements_text(locks) AS k) AS s ORDER BY h;
  END IF;
  FOR pass IN 1 .. 2 LOOP  -- the records of no gate, the operations, then the records of open gates
    IF (CASE pass WHEN 1 THEN ops @> '[["log_put"]]' ELSE gated END) THEN
      WITH given AS (  -- a record given twice: its last version
        SELECT DISTINCT ON (o -> 1 ->> 0) o -> 1 ->> 0 AS id, o -> 1 ->> 1 AS kind, o -> 1 ->> 2 AS message_id,
          o -> 1 ->> 3 AS status, o -> 1 ->> 4 AS provider, (o -> 1 ->> 5)::float8 AS created_at,
          ARRAY(SELECT jsonb_array_elements_text(o -> 1 -> 6)) AS phones, o -> 1 ->> 7 AS data, o -> 1 -> 8 AS refs
        FROM jsonb_array_elements(ops) WITH ORDINALITY AS t(o, n)
        WHERE o ->> 0 = 'log_put' AND CASE pass WHEN 1 THEN o -> 2 IS NULL ELSE NOT gates ? (o ->> 2) END
        ORDER BY o -> 1 ->> 0, n DESC),
      put AS (
        INSERT INTO smsgate_log AS l (id, kind, message_id, status, provider, created_at, phones, data)
        SELECT id, kind, message_id, status, provider, created_at, phones, data FROM given
        ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, message_id = EXCLUDED.message_id,
          status = EXCLUDED.status, provider = EXCLUDED.provider, created_at = EXCLUDED.created_at,
          phones = EXCLUDED.phones, data = EXCLUDED.data
        RETURNING l.kind, l.message_id, l.created_at, l.phones, (l.xmax = 0) AS inserted),
      indexed AS (
        INSERT INTO smsgate_log_phone (phone, message_id, created_at)
        SELECT DISTINCT p, put.message_id, put.created_at FROM put, unnest(put.phones) AS p
        WHERE put.inserted  -- the message's record looked up by itself (a subquery), never a scan
          AND (put.kind <> 'attempt' OR (SELECT 1 FROM smsgate_log WHERE id = put.message_id) IS NULL)
        ON CONFLICT DO NOTHING)
      INSERT INTO smsgate_log_ref (provider, ref, record_id, message_id)
      SELECT g.provider, f, g.id, g.message_id FROM given AS g, jsonb_array_elements_text(g.refs) AS f
      WHERE g.provider IS NOT NULL ON CONFLICT DO NOTHING;
    END IF;
    EXIT WHEN pass = 2;
    FOR idx IN 0 .. jsonb_array_length(ops) - 1 LOOP
      op := ops -> idx;
      verb := op ->> 0;
      a := op -> 1;
      gate := op ->> 2;
      level := coalesce((gates ->> gate)::int, 0);  -- 0: open
      answer := NULL;
      IF level = 2 OR (level = 1 AND verb <> 'reserve') THEN
        NULL;  -- skipped
      ELSIF verb = 'log_put' THEN
        gated := gated OR gate IS NOT NULL;  -- put after the loop, else before it
      ELSIF verb = 'put' THEN
        INSERT INTO smsgate_kv (key, value, expires) VALUES (a ->> 0, a ->> 1, (a ->> 3)::float8 + (a ->> 2)::float8)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires;
      ELSIF verb = 'del' THEN
        DELETE FROM smsgate_kv WHERE key = a ->> 0;
      ELSIF verb = 'live' OR verb = 'add' THEN  -- key, now / key, value, ttl, now
        SELECT to_jsonb(value) INTO answer FROM smsgate_kv
          WHERE key = a ->> 0 AND (expires IS NULL OR expires > (a ->> (jsonb_array_length(a) - 1))::float8);
        IF verb = 'add' AND answer IS NULL THEN
          INSERT INTO smsgate_kv (key, value, expires) VALUES (a ->> 0, a ->> 1, (a ->> 3)::float8 + (a ->> 2)::float8)
          ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires;
        END IF;
      ELSIF verb = 'incr' THEN  -- key, amount, ttl, now
        moment := (a ->> 3)::float8;
        INSERT INTO smsgate_kv AS kv (key, value, expires) VALUES (a ->> 0, a ->> 1, moment + (a ->> 2)::float8)
        ON CONFLICT (key) DO UPDATE SET
          value = CASE WHEN kv.expires <= moment THEN EXCLUDED.value
            ELSE (kv.value::bigint + EXCLUDED.value::bigint)::text END,
          expires = CASE WHEN kv.expires <= moment THEN EXCLUDED.expires ELSE kv.expires END
        RETURNING to_jsonb(value::bigint) INTO answer;
      ELSIF verb = 'admit' THEN  -- blocked keys, claim key, value, ttl, window keys, limits, ttls, now
        moment := (a ->> 7)::float8;
        SELECT refusal INTO answer FROM (  -- each key looked up by itself (a subquery), never a scan
            SELECT jsonb_build_array('blocked', (b.n - 1)::text) AS refusal, 1 AS stage, b.n
            FROM jsonb_array_elements_text(a -> 0) WITH ORDINALITY AS b(k, n)
            WHERE (SELECT 1 FROM smsgate_kv WHERE key = b.k AND coalesce(expires, 'inf') > moment) IS NOT NULL
          UNION ALL
            SELECT jsonb_build_array('claimed', value), 2, 0 FROM smsgate_kv
            WHERE key = a ->> 1 AND coalesce(expires, 'inf') > moment
          UNION ALL
            SELECT jsonb_build_array('full', (w.n - 1)::text), 3, w.n
            FROM jsonb_array_elements_text(a -> 4) WITH ORDINALITY AS w(k, n)
            WHERE (a -> 5 ->> (w.n - 1)::int)::bigint
              <= coalesce((SELECT value::bigint FROM smsgate_kv
                           WHERE key = w.k AND coalesce(expires, 'inf') > moment), 0)
        ) AS refusals ORDER BY stage, n LIMIT 1;
        IF answer IS NULL THEN  -- the claim, and one hit in every window (a window given twice: two)
          WITH claim AS (
            INSERT INTO smsgate_kv (key, value, expires) SELECT a ->> 1, a ->> 2, moment + (a ->> 3)::float8
            WHERE a ->> 1 IS NOT NULL
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires)
          INSERT INTO smsgate_kv AS kv (key, value, expires)
          SELECT w.k, count(*)::text, moment + (array_agg((a -> 6 ->> (w.n - 1)::int)::float8 ORDER BY w.n))[1]
          FROM jsonb_array_elements_text(a -> 4) WITH ORDINALITY AS w(k, n) GROUP BY w.k
          ON CONFLICT (key) DO UPDATE SET
            value = CASE WHEN kv.expires <= moment THEN EXCLUDED.value
              ELSE (kv.value::bigint + EXCLUDED.value::bigint)::text END,
            expires = CASE WHEN kv.expires <= moment THEN EXCLUDED.expires ELSE kv.expires END;
        ELSIF gate IS NOT NULL THEN
          gates := gates || jsonb_build_object(gate, 2);
        END IF;
      ELSIF verb = 'reserve' THEN  -- key, interval, burst, max wait, now: the generic cell rate algorithm
        moment := (a ->> 4)::float8;
        tat := (a ->> 1)::float8;  -- the interval; the new arrival time is the live one (or now) plus it
        INSERT INTO smsgate_kv AS kv (key, value, expires) VALUES (a ->> 0, (moment + tat)::text, moment + tat + 1)
        ON CONFLICT (key) DO UPDATE SET
          value = greatest(CASE WHEN coalesce(kv.expires, 'inf') > moment THEN kv.value::float8 END, moment) + tat,
          expires = greatest(CASE WHEN coalesce(kv.expires, 'inf') > moment THEN kv.value::float8 END, moment) + tat + 1
        WHERE greatest(CASE WHEN coalesce(kv.expires, 'inf') > moment THEN kv.value::float8 END, moment) + tat
          - (a ->> 2)::int * tat - moment <= (a ->> 3)::float8
        RETURNING to_jsonb(greatest(0, kv.value::float8 - (a ->> 2)::int * tat - moment)) INTO answer;
        IF answer IS NULL AND gate IS NOT NULL THEN gates := gates || jsonb_build_object(gate, 1); END IF;
      ELSIF verb = 'record_report' THEN
        answer := to_jsonb(smsgate_record_report(a ->> 0, a ->> 1, a ->> 2, a ->> 3, a ->> 4, a ->> 5));
      ELSIF verb = 'purge' THEN
        DELETE FROM smsgate_kv WHERE expires <= (a ->> 0)::float8;
      ELSE
        RAISE EXCEPTION 'smsgate_apply: unknown operation %', verb;
      END IF;
      answers := array_append(answers, answer);
    END LOOP;
  END LOOP;
  RETURN to_jsonb(answers);
END $$;
"""
