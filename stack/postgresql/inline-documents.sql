-- Applied to the local stack's `ferretdb` database at every `scripts/stack up` (idempotent).
--
-- FerretDB v1 keeps each document in one `_jsonb` column. PostgreSQL moves a value that makes its
-- row larger than about 2 KB out of line, into the table's TOAST relation (compressed with pglz
-- by default). A customer with its bookkeeping is larger than that (about 3 KB compressed), so
-- the heap the planner looks at holds only pointers: a table of a few hundred customers looks
-- nine pages long, and a lookup by `_id` is planned as a sequential scan, which has to fetch and
-- decompress every customer to compare its `_id`. Measured on 400 of the service's customers
-- (find_one by `_id`, 32 at once): 326-345 per second with the default storage, 1,111-1,151
-- with this file's; at 3,000 customers the planner picks the index either way (1,077-1,176).
--
-- So every table FerretDB creates keeps `_jsonb` inline (`STORAGE MAIN`: compressed in the row,
-- out of line only when the row cannot fit a page however compressed), with lz4 where this
-- PostgreSQL was built with it (it decompresses faster than pglz). The heap then shows the
-- planner what a scan costs, and a read detoasts nothing. Rows written before keep their
-- storage until they are written again.

CREATE OR REPLACE FUNCTION customer_async_inline_documents(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    lz4 boolean := EXISTS (
        SELECT 1 FROM pg_settings
         WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
    );
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_attribute
         WHERE attrelid = target AND attname = '_jsonb' AND NOT attisdropped
    ) THEN
        RETURN;  -- not one of FerretDB's document tables
    END IF;
    EXECUTE format('ALTER TABLE %s ALTER COLUMN _jsonb SET STORAGE MAIN', target);
    IF lz4 THEN
        EXECUTE format('ALTER TABLE %s ALTER COLUMN _jsonb SET COMPRESSION lz4', target);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION customer_async_inline_documents_trigger() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    created record;
BEGIN
    FOR created IN
        SELECT objid FROM pg_event_trigger_ddl_commands()
         WHERE command_tag = 'CREATE TABLE' AND object_type = 'table'
    LOOP
        PERFORM customer_async_inline_documents(created.objid::regclass);
    END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS customer_async_inline_documents;
CREATE EVENT TRIGGER customer_async_inline_documents ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION customer_async_inline_documents_trigger();

-- Tables created before the trigger existed (a stack set up by an earlier version).
SELECT count(customer_async_inline_documents(c.oid))
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname NOT LIKE 'pg_temp%';
