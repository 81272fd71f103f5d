-- The HTTP API: web sessions, sign-in attempts (rate limiting shared by every server process),
-- conversations with their answers, feedback on answers, and per-question traces.
-- Every read of conversations, answers, feedback and traces is scoped to the owning user in SQL.

CREATE TABLE web_sessions (
    id_hash      bytea PRIMARY KEY,                -- sha256 of the random cookie value; the value is never stored
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE sign_in_attempts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username   text NOT NULL,
    client_ip  text NOT NULL,
    ok         boolean NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempts_user ON sign_in_attempts (username, at);
CREATE INDEX sign_in_attempts_ip ON sign_in_attempts (client_ip, at);

CREATE TABLE conversations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_user ON conversations (user_id, updated_at DESC);

CREATE TABLE answers (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id    bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id            bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question           text NOT NULL,
    language           text NOT NULL,
    text               text NOT NULL,
    found              boolean NOT NULL,
    citations          jsonb NOT NULL DEFAULT '[]',
    model              text,
    prompt_version     text,
    citation_validity  double precision,
    notice             text,
    sql                text,
    result_table       jsonb,
    regenerated_from   bigint REFERENCES answers (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX answers_conversation ON answers (conversation_id, id);

CREATE TABLE feedback (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    answer_id   bigint NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating      text NOT NULL CHECK (rating IN ('up', 'down')),
    comment     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (answer_id, user_id)
);

CREATE TABLE traces (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint REFERENCES users (id) ON DELETE CASCADE,
    answer_id       bigint REFERENCES answers (id) ON DELETE SET NULL,
    question        text NOT NULL,
    mode            text NOT NULL,
    chunk_ids       bigint[] NOT NULL DEFAULT '{}',  -- passages shown
    prompt_version  text,
    model           text,
    sql             text,
    rewrite_ms      double precision,
    embed_ms        double precision,
    retrieve_ms     double precision,
    first_token_ms  double precision,
    total_ms        double precision NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX traces_user ON traces (user_id, created_at DESC);
CREATE INDEX traces_day ON traces (created_at);
