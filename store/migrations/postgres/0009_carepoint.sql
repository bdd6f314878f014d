-- A browser session started on a shared computer (a care point's): short,
-- and its logout clears the browser's cookies, cache and storage.
ALTER TABLE sessions ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
