"""The run's journal: one SQLite file that records the config and every evaluation.

``journal.sqlite`` holds three tables: ``meta`` (config as JSON, naslab
version, creation time, schema version), ``trials`` (strategy, dataset, seed,
status) and ``evaluations`` (one row per evaluation, keyed by strategy,
dataset, seed and step, with ``told``, its place in the order results were
told to the strategy, so an asynchronous trial replays exactly, and
``failure``, the reason an evaluation produced no value). Each evaluation is
committed as soon as its result reaches the study driver, the journal's only
writer,
in WAL mode with ``synchronous=NORMAL`` while trials run (:func:`live_journal`):
a process killed at any moment loses at most the evaluations in flight and
leaves a consistent file (an OS crash may lose the last few commits, which a
resume simply redoes). Between runs the journal is one
self-contained file (rollback-journal mode, no ``-wal``/``-shm`` beside it), so
copies and read-only folders serve it as it is.

Whatever is wrong with a journal (not SQLite, a missing table, a cell that is
not what naslab wrote, a full disk) raises a one-line :class:`RunFolderError`
naming the file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from naslab import __version__
from naslab.errors import NaslabError, RunFolderError
from naslab.study.config import StudyConfig

if TYPE_CHECKING:  # pandas is imported when a table is read: workers never need it
    import pandas as pd

JOURNAL_FILE = "journal.sqlite"
CONFIG_COPY = "config.json"
SCHEMA_VERSION = 3
#: Older schemas this naslab upgrades in place when it opens a journal for writing.
UPGRADABLE = ("2",)
BUSY_TIMEOUT_S = 60.0
EVALUATION_COLUMNS = (
    "strategy", "dataset", "seed", "step", "batch", "arch", "value", "cost", "wall_time",
    "recommended", "failure",
)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE trials (
    strategy TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    PRIMARY KEY (strategy, dataset, seed)
);
CREATE TABLE evaluations (
    strategy TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL,
    step INTEGER NOT NULL, batch INTEGER NOT NULL, arch TEXT NOT NULL,
    value REAL, cost REAL, metrics TEXT NOT NULL, wall_time REAL NOT NULL, recommended TEXT,
    told INTEGER NOT NULL, failure TEXT, details TEXT,
    PRIMARY KEY (strategy, dataset, seed, step)
) WITHOUT ROWID;
"""
_TABLES = ("meta", "trials", "evaluations")

class Evaluation(NamedTuple):
    """One journaled evaluation of a trial (``metrics`` still as its JSON text).

    A named tuple, not a dataclass: one is built per evaluation and it is the
    row's tail as inserted.
    """

    step: int
    batch: int
    arch: str
    value: float
    cost: float
    metrics: str
    wall_time: float
    #: What the strategy would return once this evaluation is told (None before any result).
    recommended: str | None = None
    #: The evaluation's place in the order results were told (its step unless asynchronous).
    told: int = -1
    #: Why the evaluation produced no value (None when it did).
    failure: str | None = None
    #: Structured results as JSON (a training curve), or None.
    details: str | None = None


_TRIAL_KEY = ("strategy", "dataset", "seed")
_MARK_DONE = "UPDATE trials SET status = 'done' WHERE strategy = ? AND dataset = ? AND seed = ?"
_INSERT = (
    f"INSERT INTO evaluations ({', '.join(_TRIAL_KEY + Evaluation._fields)}) "
    f"VALUES ({', '.join('?' * (len(_TRIAL_KEY) + len(Evaluation._fields)))})"
)


def journal_path(run_dir: Path) -> Path:
    return Path(run_dir) / JOURNAL_FILE


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode: every INSERT is its own committed transaction."""
    uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def create_journal(
    run_dir: Path, config: StudyConfig, extra_meta: Mapping[str, str] | None = None
) -> None:
    """Write a fresh journal of ``config`` (validated) and a readable copy into ``run_dir``.

    ``extra_meta`` adds facts a reopened run needs (e.g. its table's fingerprint).
    """
    path = journal_path(run_dir)
    config_json = json.dumps(config.to_dict(), sort_keys=False)
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "naslab_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config_json,
        **(extra_meta or {}),
    }
    try:
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("BEGIN")
            for statement in _SCHEMA.strip().split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            conn.executemany(
                "INSERT INTO trials (strategy, dataset, seed) VALUES (?, ?, ?)", config.trials
            )
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise RunFolderError(f"cannot create {path}: {exc}") from None
    _write_config_copy(Path(run_dir), config)


def _write_config_copy(run_dir: Path, config: StudyConfig) -> None:
    """The readable ``config.json`` beside the journal (the journal's copy is the one read)."""
    (run_dir / CONFIG_COPY).write_text(
        json.dumps(config.to_dict(), indent=2) + "\n", encoding="utf-8"
    )


class Journal:
    """A connection to an existing run's journal (one per process)."""

    def __init__(self, run_dir: Path, *, read_only: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.path = require_journal(self.run_dir)
        try:
            self._conn = _connect(self.path, read_only=read_only)
        except sqlite3.Error as exc:
            raise RunFolderError(f"{self.path} is not a readable naslab journal: {exc}") from None
        try:
            self.meta = self._checked_meta()
            if self.meta["schema_version"] != str(SCHEMA_VERSION) and not read_only:
                self._upgrade()
        except BaseException:
            self._conn.close()
            raise

    @property
    def _current(self) -> bool:
        """False for a schema-2 journal opened read-only (it is upgraded when written)."""
        return self.meta["schema_version"] == str(SCHEMA_VERSION)

    @property
    def _columns(self) -> str:
        """The schema-3 evaluation columns; a schema-2 journal gets their schema-2 meaning
        (results told in step order, none failed)."""
        return "told, failure, details" if self._current else (
            "step AS told, NULL AS failure, NULL AS details"
        )

    def _upgrade(self) -> None:
        """Bring a schema-2 journal to schema 3 in one transaction (results told in step order)."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            for column in ("told INTEGER NOT NULL DEFAULT -1", "failure TEXT", "details TEXT"):
                self._conn.execute(f"ALTER TABLE evaluations ADD COLUMN {column}")
            self._conn.execute("UPDATE evaluations SET told = step")
            self._conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self._write_error(exc) from None
        self.meta["schema_version"] = str(SCHEMA_VERSION)

    def _checked_meta(self) -> dict[str, str]:
        """The meta table, once the schema version and the tables are what this naslab reads."""
        try:
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            tables = {row[0] for row in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            raise RunFolderError(f"{self.path} is not a readable naslab journal: {exc}") from None
        readable = (str(SCHEMA_VERSION), *UPGRADABLE)
        if meta.get("schema_version") not in readable or "config" not in meta:
            raise RunFolderError(
                f"{self.path} has journal schema {meta.get('schema_version')!r}; "
                f"this naslab reads schemas {', '.join(readable)}"
            )
        missing = [name for name in _TABLES if name not in tables]
        if missing:
            raise RunFolderError(
                f"{self.path} is not a readable naslab journal: no table {', '.join(missing)}"
            )
        return meta

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------
    def config(self) -> StudyConfig:
        try:
            return StudyConfig.from_dict(json.loads(self.meta["config"]))
        except (ValueError, NaslabError) as exc:  # JSONDecodeError and ConfigError included
            unusable = f"{self.path}: its stored study config is unusable: {exc}"
            raise RunFolderError(unusable) from None

    def statuses(self) -> dict[tuple[str, str, int], str]:
        rows = self._read("SELECT strategy, dataset, seed, status FROM trials")
        return {(s, d, seed): status for s, d, seed, status in rows}

    def count(self) -> int:
        """Number of journaled evaluations."""
        return self._read("SELECT COUNT(*) FROM evaluations")[0][0]

    def evaluations(self, strategy: str, dataset: str, seed: int) -> list[Evaluation]:
        """The trial's journaled evaluations in step order (their metrics checked, still JSON)."""
        rows = self._read(
            f"SELECT step, batch, arch, value, cost, metrics, wall_time, recommended, "
            f"{self._columns} FROM evaluations "
            "WHERE strategy = ? AND dataset = ? AND seed = ? ORDER BY step",
            (strategy, dataset, seed),
        )
        nan = float("nan")  # SQLite stores NaN as NULL
        evaluations = [
            Evaluation(step, batch, arch, nan if value is None else value,
                       nan if cost is None else cost, *rest)
            for step, batch, arch, value, cost, *rest in rows
        ]
        for evaluation in evaluations:  # a replay decodes them: fail here, naming the cell
            self.metrics(evaluation.metrics, strategy, dataset, seed, evaluation.step)
        return evaluations

    def rows(self) -> list[tuple]:
        """Every evaluation as a tuple of :data:`EVALUATION_COLUMNS` plus its metrics JSON."""
        columns = ", ".join(EVALUATION_COLUMNS[:-1])
        failure = "failure" if self._current else "NULL AS failure"
        return self._read(f"SELECT {columns}, {failure}, metrics FROM evaluations")

    def details(self) -> list[tuple[str, str, int, int, str]]:
        """(strategy, dataset, seed, step, details JSON) of every evaluation that has details."""
        if not self._current:
            return []
        return self._read(
            "SELECT strategy, dataset, seed, step, details FROM evaluations "
            "WHERE details IS NOT NULL"
        )

    def metrics(
        self, text: str, strategy: str, dataset: str, seed: int, step: int
    ) -> dict[str, Any]:
        """An evaluation's metrics cell decoded, or an error naming the file and the evaluation."""
        try:
            metrics = json.loads(text)
        except (TypeError, ValueError):
            metrics = None
        if not isinstance(metrics, dict):
            raise RunFolderError(
                f"{self.path}: the metrics of {strategy}/{dataset}/seed {seed} step {step} "
                f"are not a JSON object: {str(text)[:60]!r}"
            )
        return metrics

    def _read(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        try:
            return self._conn.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise RunFolderError(f"cannot read {self.path}: {exc}") from None

    # --- writing -------------------------------------------------------------------------
    def append(self, strategy: str, dataset: str, seed: int, evaluation: Evaluation) -> None:
        """Journal and commit one evaluation."""
        try:
            self._conn.execute(_INSERT, (strategy, dataset, seed, *evaluation))
        except sqlite3.IntegrityError:
            raise RunFolderError(
                f"{self.run_dir}: step {evaluation.step} of trial {strategy}/{dataset}/seed {seed} "
                "is already journaled; is another naslab process running on this folder?"
            ) from None
        except sqlite3.Error as exc:
            raise self._write_error(exc) from None

    def append_trial(
        self, strategy: str, dataset: str, seed: int, evaluations: list[Evaluation]
    ) -> None:
        """Journal a whole trial's new evaluations and mark it done, in one transaction."""
        trial = (strategy, dataset, seed)
        try:
            self._conn.execute("BEGIN")
            self._conn.executemany(_INSERT, [(*trial, *e) for e in evaluations])
            self._conn.execute(_MARK_DONE, trial)
            self._conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            self._rollback()
            raise RunFolderError(
                f"{self.run_dir}: trial {strategy}/{dataset}/seed {seed} is already journaled; "
                "is another naslab process running on this folder?"
            ) from None
        except sqlite3.Error as exc:
            self._rollback()
            raise self._write_error(exc) from None

    def set_recommended(
        self, strategy: str, dataset: str, seed: int, step: int, recommended: str | None
    ) -> None:
        """Record what the strategy recommends once the batch that ends at ``step`` is told."""
        try:
            self._conn.execute(
                "UPDATE evaluations SET recommended = ? "
                "WHERE strategy = ? AND dataset = ? AND seed = ? AND step = ?",
                (recommended, strategy, dataset, seed, step),
            )
        except sqlite3.Error as exc:
            raise self._write_error(exc) from None

    def drop(self, strategy: str, dataset: str, seed: int, steps: list[int]) -> None:
        """Remove evaluations that turned out to lie beyond the trial's budget."""
        try:
            self._conn.executemany(
                "DELETE FROM evaluations WHERE strategy = ? AND dataset = ? AND seed = ? "
                "AND step = ?", [(strategy, dataset, seed, step) for step in steps],
            )
        except sqlite3.Error as exc:
            raise self._write_error(exc) from None

    def mark_done(self, strategy: str, dataset: str, seed: int) -> None:
        try:
            self._conn.execute(_MARK_DONE, (strategy, dataset, seed))
        except sqlite3.Error as exc:
            raise self._write_error(exc) from None

    def replace_config(self, config: StudyConfig) -> None:
        """Store ``config`` as the run's own (re-pointing a moved table), journal and copy."""
        text = json.dumps(config.to_dict())
        try:
            self._conn.execute("UPDATE meta SET value = ? WHERE key = 'config'", (text,))
        except sqlite3.Error as exc:
            raise self._write_error(exc) from None
        self.meta["config"] = text
        _write_config_copy(self.run_dir, config)

    def _rollback(self) -> None:
        """End a failed transaction (SQLite has already ended it after some errors)."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _write_error(self, exc: sqlite3.Error) -> RunFolderError:
        return RunFolderError(
            f"cannot write {self.path}: {exc}; every evaluation journaled so far is kept: "
            f"fix this, then `naslab resume {self.run_dir}`"
        )

    def _set_mode(self, mode: str) -> None:
        try:
            self._conn.execute(f"PRAGMA journal_mode={mode}")
        except sqlite3.Error as exc:
            raise self._write_error(exc) from None


def require_journal(run_dir: Path) -> Path:
    """The journal of ``run_dir``, or an error saying the folder is no naslab run."""
    path = journal_path(run_dir)
    if not path.is_file():
        raise RunFolderError(f"{run_dir} is not a naslab run folder (no {JOURNAL_FILE})")
    return path


@contextmanager
def live_journal(run_dir: Path) -> Iterator[Journal]:
    """The driver's connection while trials run, the last to close.

    In WAL mode workers append while others read; at the end the journal is
    checkpointed back into one self-contained file. If that fails (a full disk),
    the WAL stays beside it, consistent, and the next resume settles it.
    """
    journal = Journal(run_dir)
    try:
        journal._set_mode("wal")
        yield journal
    finally:
        with suppress(RunFolderError):
            journal._set_mode("delete")
        journal.close()


@contextmanager
def _reading(run_dir: Path) -> Iterator[Journal]:
    journal = Journal(run_dir, read_only=True)
    try:
        yield journal
    finally:
        journal.close()


def read_config(run_dir: Path) -> StudyConfig:
    """The config a run folder was created with."""
    with _reading(run_dir) as journal:
        return journal.config()


def read_evaluations(run_dir: Path) -> pd.DataFrame:
    """Every journaled evaluation as a tidy table, one row per evaluation.

    Rows are ordered by strategy and dataset (in config order), seed and step.
    Columns: strategy, dataset, seed, step, batch (index of the ``ask`` call),
    arch (canonical string), value (minimised; NaN where an evaluation failed),
    cost (simulated seconds), wall_time (seconds the trial had run when the
    evaluation was journaled; a resumed trial goes on from its last journaled
    time), recommended (what the strategy would return once this evaluation was
    told: ``recommend()``), then one column per metric the objective reported
    (``val_acc``, ...).
    """
    import pandas as pd

    with _reading(run_dir) as journal:
        config = journal.config()
        rows = journal.rows()
        strategy_rank = {name: i for i, name in enumerate(config.strategies)}
        dataset_rank = {name: i for i, name in enumerate(config.datasets)}
        rows.sort(key=lambda r: (strategy_rank[r[0]], dataset_rank[r[1]], r[2], r[3]))
        metrics = [journal.metrics(row[-1], *row[:4]) for row in rows]
    frame = pd.DataFrame([row[:-1] for row in rows], columns=list(EVALUATION_COLUMNS))
    try:
        frame = frame.astype({"seed": "int64", "step": "int64", "batch": "int64",
                              "value": "float64", "cost": "float64", "wall_time": "float64"})
    except (TypeError, ValueError) as exc:
        raise RunFolderError(f"{journal.path}: an evaluation holds a non-number: {exc}") from None
    table = pd.DataFrame(metrics, index=frame.index)
    return pd.concat([frame, table.drop(columns=frame.columns, errors="ignore")], axis=1)
