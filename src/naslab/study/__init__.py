"""Studies: configs, the SQLite journal, and the runner that runs and resumes them."""

from naslab.study.config import StudyConfig
from naslab.study.journal import read_config, read_evaluations
from naslab.study.runner import resume_study, run_study

__all__ = ["StudyConfig", "read_config", "read_evaluations", "resume_study", "run_study"]
