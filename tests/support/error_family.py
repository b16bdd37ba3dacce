"""One example of every business error (the ServiceError family), for the channel adapter tests."""
from __future__ import annotations

import erp_admin.api.idempotency  # noqa: F401  (their family members subclass on import)
import erp_admin.api.revocation  # noqa: F401
import erp_admin.api.tokens  # noqa: F401
import erp_admin.services.bulk  # noqa: F401
from erp_admin.auth.signin import LoginThrottled
from erp_admin.csvio import CsvFormatError, ImportRejected, ImportTooLarge
from erp_admin.csvio.report import ImportReport
from erp_admin.errors import ServiceError, ServiceUnavailable, ValidationFailed
from erp_admin.services.bulk import KeyTaken
from erp_admin.services.legacy_import import LegacyImportError

# Errors every channel must answer: the family, including those that live beside the code raising them.
REQUIRED = (LoginThrottled, LegacyImportError, CsvFormatError, ImportTooLarge, ImportRejected)


def _rejected(field: str) -> ImportRejected:
    report = ImportReport()
    report.reject(3, field, "must be a number")
    return ImportRejected(report)


# Members whose constructor needs more than a detail (and a field).
SPECIAL = {
    ValidationFailed: lambda field: ValidationFailed([{"field": field, "message": "must not be blank"}]),
    LoginThrottled: lambda field: LoginThrottled(17),
    ServiceUnavailable: lambda field: ServiceUnavailable("The database stayed busy; try again.", retry_after=3),
    ImportRejected: _rejected,
    KeyTaken: lambda field: KeyTaken("That one is taken.", index=0, value="x", field=field),
}


def members() -> list[type]:
    """Every class of the family (ServiceError and its subclasses, recursively) plus REQUIRED."""
    found, todo = [], [ServiceError, *REQUIRED]
    while todo:
        cls = todo.pop(0)
        if cls not in found:
            found.append(cls)
            todo.extend(cls.__subclasses__() if isinstance(cls, type) and issubclass(cls, Exception) else [])
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def example(cls: type, field: str = "name") -> Exception:
    """An instance of cls as a service would raise it (naming field where it names one)."""
    if cls in SPECIAL:
        return SPECIAL[cls](field)
    try:
        return cls("Something about this record is wrong.", field=field)
    except TypeError:  # a member without a field
        return cls("Something about this record is wrong.")


def ids(cls: type) -> str:
    return cls.__name__
