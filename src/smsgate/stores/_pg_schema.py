"""The PostgreSQL store's schema, as numbered migrations that :func:`migrate` applies once each.

Tables and functions are prefixed ``smsgate_`` and land in the first schema of the connection's
``search_path``. Compound operations are functions, so each is one statement (one round trip,
one transaction); they take transaction-scoped advisory locks on their keys, which also covers
keys that do not exist yet. ``smsgate_apply`` (version 2) runs a batch of them, given as JSON,
in one statement: one prepared statement whatever the batch; version 3 (:mod:`._pg_schema_v3`)
adds gates, so one statement also starts a send; version 4 (:mod:`._pg_schema_v4`), a batch that
carries writes made behind.
"""

from __future__ import annotations

from typing import Any

from ._pg_schema_v3 import V3
from ._pg_schema_v4 import V4

__all__ = ["MIGRATIONS", "migrate"]

_V1 = r"""
CREATE TABLE smsgate_kv (key text PRIMARY KEY, value text NOT NULL, expires float8);
CREATE INDEX smsgate_kv_expires ON smsgate_kv (expires) WHERE expires IS NOT NULL;

CREATE FUNCTION smsgate_lock(keys text[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1397572935, h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest(keys) AS k) AS s
    ORDER BY h;
END $$;

CREATE FUNCTION smsgate_live(k text, now float8) RETURNS text LANGUAGE sql SET search_path FROM CURRENT AS $$
  SELECT value FROM smsgate_kv WHERE key = k AND (expires IS NULL OR expires > now)
$$;

CREATE FUNCTION smsgate_put(k text, v text, ttl float8, now float8) RETURNS void LANGUAGE sql
SET search_path FROM CURRENT AS $$
  INSERT INTO smsgate_kv (key, value, expires) VALUES (k, v, now + ttl)
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires
$$;

CREATE FUNCTION smsgate_del(k text) RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
  DELETE FROM smsgate_kv WHERE key = k
$$;

CREATE FUNCTION smsgate_purge(now float8) RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
  DELETE FROM smsgate_kv WHERE expires <= now
$$;

CREATE FUNCTION smsgate_incr(k text, amount bigint, ttl float8, now float8) RETURNS bigint LANGUAGE sql
SET search_path FROM CURRENT AS $$
  INSERT INTO smsgate_kv AS kv (key, value, expires) VALUES (k, amount::text, now + ttl)
  ON CONFLICT (key) DO UPDATE SET
    value = CASE WHEN kv.expires <= now THEN EXCLUDED.value ELSE (kv.value::bigint + amount)::text END,
    expires = CASE WHEN kv.expires <= now THEN EXCLUDED.expires ELSE kv.expires END
  RETURNING value::bigint
$$;

CREATE FUNCTION smsgate_add(k text, v text, ttl float8, now float8) RETURNS text LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE found_value text;
BEGIN
  PERFORM smsgate_lock(ARRAY[k]);
  found_value := smsgate_live(k, now);
  IF found_value IS NULL THEN PERFORM smsgate_put(k, v, ttl, now); END IF;
  RETURN found_value;
END $$;

-- NULL when admitted, else {'blocked', index}, {'claimed', value} or {'full', index}.
CREATE FUNCTION smsgate_admit(blocked text[], claim_key text, claim_value text, claim_ttl float8,
    wkeys text[], wlimits bigint[], wttls float8[], now float8) RETURNS text[] LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  i int;
  found_value text;
BEGIN
  PERFORM smsgate_lock(CASE WHEN claim_key IS NULL THEN wkeys ELSE array_prepend(claim_key, wkeys) END);
  FOR i IN 1 .. coalesce(array_length(blocked, 1), 0) LOOP
    IF smsgate_live(blocked[i], now) IS NOT NULL THEN RETURN ARRAY['blocked', (i - 1)::text]; END IF;
  END LOOP;
  IF claim_key IS NOT NULL THEN
    found_value := smsgate_live(claim_key, now);
    IF found_value IS NOT NULL THEN RETURN ARRAY['claimed', found_value]; END IF;
  END IF;
  FOR i IN 1 .. coalesce(array_length(wkeys, 1), 0) LOOP
    IF coalesce(smsgate_live(wkeys[i], now)::bigint, 0) >= wlimits[i] THEN
      RETURN ARRAY['full', (i - 1)::text];
    END IF;
  END LOOP;
  IF claim_key IS NOT NULL THEN PERFORM smsgate_put(claim_key, claim_value, claim_ttl, now); END IF;
  FOR i IN 1 .. coalesce(array_length(wkeys, 1), 0) LOOP
    PERFORM smsgate_incr(wkeys[i], 1, wttls[i], now);
  END LOOP;
  RETURN NULL;
END $$;

-- The generic cell rate algorithm: the wait in seconds, or NULL when over max_wait (nothing taken).
CREATE FUNCTION smsgate_reserve(k text, step float8, burst int, max_wait float8, now float8) RETURNS float8
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  tat float8;
  new_tat float8;
  wait float8;
BEGIN
  PERFORM smsgate_lock(ARRAY[k]);
  tat := greatest(coalesce(smsgate_live(k, now)::float8, now), now);
  new_tat := tat + step;
  wait := greatest(0, new_tat - burst * step - now);
  IF wait > max_wait THEN RETURN NULL; END IF;
  PERFORM smsgate_put(k, new_tat::text, greatest(new_tat - now, step) + 1, now);
  RETURN wait;
END $$;

-- The send log. A message's phones are indexed once (by message), not per attempt; attempts are
-- indexed by the provider's message ids, which is how delivery reports find them.
CREATE TABLE smsgate_log (
  seq bigserial NOT NULL, id text PRIMARY KEY, kind text NOT NULL, message_id text NOT NULL,
  status text NOT NULL, provider text, created_at float8 NOT NULL, phones text[] NOT NULL, data text NOT NULL);
CREATE INDEX smsgate_log_message ON smsgate_log (message_id, created_at);
CREATE INDEX smsgate_log_created ON smsgate_log (created_at, seq);
CREATE TABLE smsgate_log_phone (
  phone text NOT NULL, message_id text NOT NULL, created_at float8 NOT NULL, PRIMARY KEY (phone, message_id));
CREATE TABLE smsgate_log_ref (
  provider text NOT NULL, ref text NOT NULL, record_id text NOT NULL, message_id text NOT NULL,
  PRIMARY KEY (provider, ref, record_id));
CREATE TABLE smsgate_delivery (
  message_id text NOT NULL, phone text NOT NULL, status text NOT NULL, PRIMARY KEY (message_id, phone));

CREATE FUNCTION smsgate_log_put(r_id text, r_kind text, r_message text, r_status text, r_provider text,
    r_created float8, r_phones text[], r_data text, r_refs text[]) RETURNS void LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE inserted boolean;
BEGIN
  INSERT INTO smsgate_log AS l (id, kind, message_id, status, provider, created_at, phones, data)
  VALUES (r_id, r_kind, r_message, r_status, r_provider, r_created, r_phones, r_data)
  ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, message_id = EXCLUDED.message_id,
    status = EXCLUDED.status, provider = EXCLUDED.provider, created_at = EXCLUDED.created_at,
    phones = EXCLUDED.phones, data = EXCLUDED.data
  RETURNING (xmax = 0) INTO inserted;
  IF inserted AND (r_kind <> 'attempt' OR NOT EXISTS (SELECT 1 FROM smsgate_log WHERE id = r_message)) THEN
    INSERT INTO smsgate_log_phone (phone, message_id, created_at)
      SELECT DISTINCT p, r_message, r_created FROM unnest(r_phones) AS p ON CONFLICT DO NOTHING;
  END IF;
  IF r_provider IS NOT NULL AND cardinality(r_refs) > 0 THEN
    INSERT INTO smsgate_log_ref (provider, ref, record_id, message_id)
      SELECT r_provider, f, r_id, r_message FROM unnest(r_refs) AS f ON CONFLICT DO NOTHING;
  END IF;
END $$;

-- Delivery reports (kept once by key) and inbound messages (once by provider and id, when given).
CREATE TABLE smsgate_report (
  seq bigserial PRIMARY KEY, key text NOT NULL UNIQUE, message_id text, phone text NOT NULL, data text NOT NULL);
CREATE INDEX smsgate_report_message ON smsgate_report (message_id, seq);
CREATE INDEX smsgate_report_phone ON smsgate_report (phone, seq);
CREATE TABLE smsgate_inbound (seq bigserial PRIMARY KEY, key text UNIQUE, sender text NOT NULL, data text NOT NULL);
CREATE INDEX smsgate_inbound_sender ON smsgate_inbound (sender, seq);

-- NULL for a duplicate, else {matched message id or NULL}.
CREATE FUNCTION smsgate_record_report(r_key text, r_provider text, r_ref text, r_phone text, r_status text,
    r_data text) RETURNS text[] LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE matched text;
BEGIN
  IF r_ref IS NOT NULL THEN
    SELECT f.message_id INTO matched FROM smsgate_log_ref AS f JOIN smsgate_log AS l ON l.id = f.record_id
      WHERE f.provider = r_provider AND f.ref = r_ref AND (l.data::jsonb -> 'message_ids' ->> r_phone) = r_ref
      ORDER BY l.seq DESC LIMIT 1;
  END IF;
  INSERT INTO smsgate_report (key, message_id, phone, data) VALUES (r_key, matched, r_phone, r_data)
    ON CONFLICT (key) DO NOTHING;
  IF NOT FOUND THEN RETURN NULL; END IF;
  IF matched IS NOT NULL THEN
    INSERT INTO smsgate_delivery (message_id, phone, status) VALUES (matched, r_phone, r_status)
      ON CONFLICT (message_id, phone) DO UPDATE SET status = EXCLUDED.status;
  END IF;
  RETURN ARRAY[matched];
END $$;
"""

_V2 = r"""
-- A batch of operations, [name, [arguments]] each, in one transaction: every key they lock is
-- locked first in one sorted pass (so batches never deadlock one another), the records are put
-- together, then the other operations run in order. Each write's records precede its other
-- operations, so it keeps its order. Returns their answers. Written out, not calling the
-- functions above: a nested call costs more than the statement it runs.
CREATE FUNCTION smsgate_apply(locks jsonb, ops jsonb) RETURNS jsonb LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  op jsonb;
  a jsonb;
  verb text;
  moment float8;
  tat float8;
  answer jsonb;
  answers jsonb[] := '{}';
BEGIN
  IF jsonb_array_length(locks) > 0 THEN
    PERFORM pg_advisory_xact_lock(1397572935, h)
      FROM (SELECT DISTINCT hashtext(k) AS h FROM jsonb_array_elements_text(locks) AS k) AS s ORDER BY h;
  END IF;
  IF ops @> '[["log_put"]]' THEN
    WITH given AS (  -- a record given twice: its last version
      SELECT DISTINCT ON (o -> 1 ->> 0) o -> 1 ->> 0 AS id, o -> 1 ->> 1 AS kind, o -> 1 ->> 2 AS message_id,
        o -> 1 ->> 3 AS status, o -> 1 ->> 4 AS provider, (o -> 1 ->> 5)::float8 AS created_at,
        ARRAY(SELECT jsonb_array_elements_text(o -> 1 -> 6)) AS phones, o -> 1 ->> 7 AS data, o -> 1 -> 8 AS refs
      FROM jsonb_array_elements(ops) WITH ORDINALITY AS t(o, n) WHERE o ->> 0 = 'log_put'
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
  FOR idx IN 0 .. jsonb_array_length(ops) - 1 LOOP
    op := ops -> idx;
    verb := op ->> 0;
    a := op -> 1;
    answer := NULL;
    IF verb = 'log_put' THEN
      NULL;  -- put above
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
            <= coalesce((SELECT value::bigint FROM smsgate_kv WHERE key = w.k AND coalesce(expires, 'inf') > moment), 0)
      ) AS refusals ORDER BY stage, n LIMIT 1;
      IF answer IS NULL THEN  -- the claim, and one hit in every window (a window given twice: two)
        WITH claim AS (
          INSERT INTO smsgate_kv (key, value, expires) SELECT a ->> 1, a ->> 2, moment + (a ->> 3)::float8
          WHERE a ->> 1 IS NOT NULL ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires)
        INSERT INTO smsgate_kv AS kv (key, value, expires)
        SELECT w.k, count(*)::text, moment + (array_agg((a -> 6 ->> (w.n - 1)::int)::float8 ORDER BY w.n))[1]
        FROM jsonb_array_elements_text(a -> 4) WITH ORDINALITY AS w(k, n) GROUP BY w.k
        ON CONFLICT (key) DO UPDATE SET
          value = CASE WHEN kv.expires <= moment THEN EXCLUDED.value
            ELSE (kv.value::bigint + EXCLUDED.value::bigint)::text END,
          expires = CASE WHEN kv.expires <= moment THEN EXCLUDED.expires ELSE kv.expires END;
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
    ELSIF verb = 'record_report' THEN
      answer := to_jsonb(smsgate_record_report(a ->> 0, a ->> 1, a ->> 2, a ->> 3, a ->> 4, a ->> 5));
    ELSIF verb = 'purge' THEN
      DELETE FROM smsgate_kv WHERE expires <= (a ->> 0)::float8;
    ELSE
      RAISE EXCEPTION 'smsgate_apply: unknown operation %', verb;
    END IF;
    answers := array_append(answers, answer);
  END LOOP;
  RETURN to_jsonb(answers);
END $$;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, V3, V4)
"""Migration ``n`` (from 1) brings the schema from version ``n - 1`` to ``n``; never edit a released one."""

_LOCK = "SELECT pg_advisory_lock(1397572935, 0)"  # one migrating process moment a time
_UNLOCK = "SELECT pg_advisory_unlock(1397572935, 0)"


def migrate(conn: Any) -> int:
    """Bring the schema up to date on an autocommit ``psycopg.Connection``; returns its version."""
    conn.execute(_LOCK)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS smsgate_schema (version int NOT NULL)")
        row = conn.execute("SELECT max(version) FROM smsgate_schema").fetchone()
        version = int(row[0] or 0)
        for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            with conn.transaction():
                conn.execute(sql.encode())
                conn.execute("INSERT INTO smsgate_schema (version) VALUES (%s)", (number,))
            version = number
        return version
    finally:
        conn.execute(_UNLOCK)
