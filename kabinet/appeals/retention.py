"""KABINET_COMPLAINT_PD_RETENTION_DAYS and KABINET_COMPLAINT_PD_MAX_DAYS checked. Pure, so the
settings refuse at start-up what `check --deploy` reports for settings changed after it."""

RETENTION = "KABINET_COMPLAINT_PD_RETENTION_DAYS"
MAX = "KABINET_COMPLAINT_PD_MAX_DAYS"


def retention_problem(retention_days: int, max_days: int) -> str:
    """Why the periods cannot run, or "": at 0 or less the daily wipe would empty the document
    data of every complaint, open ones too, at its next run."""
    for name, days in ((RETENTION, retention_days), (MAX, max_days)):
        if days < 1:
            return f"{name} is {days}: at least 1 day, or the daily wipe empties every complaint's document data"
    return ""


def cap_problem(retention_days: int, max_days: int) -> str:
    """Why the cap looks wrong, or "": below the retention, a complaint closed soon after filing
    loses its document data before the retention period after closing has run."""
    if max_days < retention_days:
        return (
            f"{MAX} ({max_days}) is below {RETENTION} ({retention_days}): complaints closed soon after "
            "filing lose their document data before the retention period ends"
        )
    return ""
