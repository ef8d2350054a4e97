-- Applied to the local stack's `ferretdb` database at every `scripts/stack up` (idempotent).
--
-- FerretDB v1 (PostgreSQL handler) pushes an equality filter down as jsonb containment,
-- `_jsonb->'field' @> '"value"'` (with nested pushdown, which the stack's launcher turns on, a
-- dotted path as `_jsonb #> '{field,sub}' @> '"value"'`), but builds the indexes it is asked for
-- (and its own `_id_`) as btree indexes on `_jsonb->'field'` (`(_jsonb->'field')->'sub'` for a
-- dotted path), which containment cannot use: every lookup by `_id`, and every filter on an
-- indexed attribute, scans the whole table. This trigger gives each such btree index a GIN
-- (jsonb_path_ops) twin on the expression the pushed-down filter uses: the same `->` for a
-- top-level field, the `#>` path for a dotted one. Together with
-- `plan_cache_mode = force_custom_plan` (FerretDB sends the field name or path as a bind
-- parameter; only a plan made with its value matches the index expression) a `find_one` by `_id`
-- costs the same with 1,000 and with 100,000 documents (`fastupdate = off`: a GIN index's pending
-- list of entries not merged yet is scanned by every lookup; measured on 10,000 fresh customers,
-- find_one by _id 2.7 ms with it, 1.9 ms without, as with 1,000). FerretDB never sees these indexes:
-- dropping a collection drops its table and them with it.

-- The expression a pushed-down equality on the btree index `btree_index` compares, or NULL when
-- that index is not FerretDB's single-field index on a chain of `->` (nothing to twin).
CREATE OR REPLACE FUNCTION customer_async_containment_expression(btree_index oid) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    expression text;
    keys text[];
    chain text := '_jsonb';
    key text;
BEGIN
    SELECT pg_get_expr(i.indexprs, i.indrelid)
      INTO expression
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am a ON a.oid = c.relam
     WHERE i.indexrelid = btree_index
       AND a.amname = 'btree'              -- a twin itself (gin) does not get a twin
       AND i.indnatts = 1
       AND i.indexprs IS NOT NULL;
    IF expression IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(replace(m[1], '''''', '''') ORDER BY n)
      INTO keys
      FROM regexp_matches(expression, '-> ''((?:[^'']|'''')*)''::text', 'g') WITH ORDINALITY AS t(m, n);
    IF keys IS NULL THEN
        RETURN NULL;
    END IF;
    -- Only an exact chain `((_jsonb -> 'a'::text) -> 'b'::text)`, as pg_get_expr prints it.
    FOREACH key IN ARRAY keys LOOP
        chain := format('(%s -> %s::text)', chain, quote_literal(key));
    END LOOP;
    IF chain <> expression THEN
        RETURN NULL;
    END IF;
    IF array_length(keys, 1) = 1 THEN
        RETURN format('(_jsonb -> %s::text)', quote_literal(keys[1]));
    END IF;
    RETURN format('(_jsonb #> %s::text[])', quote_literal(keys::text));
END
$$;

-- Whether the table of `btree_index` has a GIN index on `expression` (its twin).
CREATE OR REPLACE FUNCTION customer_async_has_twin(btree_index oid, expression text)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_index t
          JOIN pg_index b ON b.indrelid = t.indrelid
          JOIN pg_class c ON c.oid = t.indexrelid
          JOIN pg_am a ON a.oid = c.relam
         WHERE b.indexrelid = btree_index AND a.amname = 'gin'
           AND pg_get_expr(t.indexprs, t.indrelid) = expression
    )
$$;

-- Creates the GIN twin of `btree_index` unless it has one (or needs none).
CREATE OR REPLACE FUNCTION customer_async_twin(btree_index oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    expression text := customer_async_containment_expression(btree_index);
    target oid;
BEGIN
    IF expression IS NULL OR customer_async_has_twin(btree_index, expression) THEN
        RETURN;
    END IF;
    SELECT indrelid INTO target FROM pg_index WHERE indexrelid = btree_index;
    EXECUTE format(
        'CREATE INDEX ON %s USING gin (%s jsonb_path_ops) WITH (fastupdate = off)',
        target::regclass, expression
    );
END
$$;

-- Once `btree_index` has its twin, and unless it enforces uniqueness (FerretDB's `_id` index,
-- which its updates and deletes also look rows up by with `=`), it is replaced by an empty index
-- of the same name and expression (`WHERE false`): nothing reads it, and every insert and
-- update of a document had to add an entry to it. FerretDB still finds the index it made by its
-- name (to list or drop it). Measured on 3,000 stored customers with the service's twelve
-- indexes: update_one 2.72-2.80 ms of FerretDB and PostgreSQL CPU without the btrees against
-- 2.99-3.25 ms with them.
CREATE OR REPLACE FUNCTION customer_async_empty_btree(btree_index oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    expression text := customer_async_containment_expression(btree_index);
    definition text;
BEGIN
    IF expression IS NULL THEN
        RETURN;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM pg_index
         WHERE indexrelid = btree_index AND NOT indisunique AND indpred IS NULL
    ) THEN
        RETURN;  -- unique, or empty already
    END IF;
    IF NOT customer_async_has_twin(btree_index, expression) THEN
        RETURN;  -- no twin serves its filters
    END IF;
    definition := pg_get_indexdef(btree_index);
    EXECUTE format('DROP INDEX %s', btree_index::regclass);
    EXECUTE definition || ' WHERE false';
END
$$;

CREATE OR REPLACE FUNCTION customer_async_containment_twin() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    created record;
BEGIN
    FOR created IN
        SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX'
    LOOP
        PERFORM customer_async_twin(created.objid);
        PERFORM customer_async_empty_btree(created.objid);
    END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS customer_async_containment_twin;
CREATE EVENT TRIGGER customer_async_containment_twin ON ddl_command_end
    WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION customer_async_containment_twin();

-- Twins for the dotted-path indexes created before the trigger knew `#>` (a stack set up by an
-- earlier version): every btree index without its twin gets it now.
SELECT count(customer_async_twin(i.indexrelid))
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname NOT LIKE 'pg_temp%';

-- And the btrees an earlier version left full are emptied.
SELECT count(customer_async_empty_btree(i.indexrelid))
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname NOT LIKE 'pg_temp%';
