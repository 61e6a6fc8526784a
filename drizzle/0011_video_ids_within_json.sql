-- Video ids are JSON numbers in answers: the sequence stops at 2^53 - 1 (Number.MAX_SAFE_INTEGER), where they
-- are still exact. An insert past it fails and stores nothing (it used to store the video, then fail to answer it).
ALTER TABLE "videos" ALTER COLUMN "id" SET MAXVALUE 9007199254740991;