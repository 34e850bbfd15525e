-- Temporal keeps its own databases beside Switchyard's in the same Postgres server.
CREATE DATABASE temporal OWNER switchyard;
CREATE DATABASE temporal_visibility OWNER switchyard;
