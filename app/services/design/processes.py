"""Deploying BPMN definitions: a changed file becomes a new version; running cases keep theirs."""
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ROLES, ProcessDefinition, User
from app.services import engine
from app.services.errors import DefinitionError, DefinitionInvalidError, NotFoundError
from app.services.time_limits import clock
from app.services.transaction import transaction


@dataclass(frozen=True)
class Deployment:
    key: str
    version: int
    created: bool


@transaction
def deploy_processes(directory: str | Path, form_keys: Iterable[str], actor: User | None = None) -> list[Deployment]:
    """Deploy every `*.bpmn` file of a directory (process id == file stem), all or nothing.

    Files are validated like a designer's deploy (`engine.validate_definition`), so what ships in
    processes/ meets the same rules as what is drawn in the browser.
    """
    files = sorted(Path(directory).glob("*.bpmn"))
    if not files:
        raise DefinitionError(_("%(directory)s 中没有 BPMN 文件。", directory=directory))
    deployments = []
    for path in files:
        bpmn_xml = path.read_text(encoding="utf-8")
        problems = engine.validate_definition(bpmn_xml, frozenset(form_keys), ROLES)
        if problems:
            raise DefinitionInvalidError(_("流程有 %(value)s 处问题，未部署。", value=len(problems)), problems)
        info = engine.inspect_definition(bpmn_xml)
        if info.key != path.stem:
            raise DefinitionError(_("文件 %(expected_key)s.bpmn 中的流程 id 是 “%(key)s”，应与文件名相同。",
                                    expected_key=path.stem, key=info.key))
        deployments.append(add_version(bpmn_xml, actor))
    return deployments


def newest_definition(key: str) -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc())
    ).first()


def latest_definition(key: str) -> ProcessDefinition:
    """The version new cases start on."""
    definition = newest_definition(key)
    if definition is None:
        raise NotFoundError(_("流程 “%(key)s” 尚未部署；请先运行 deploy-processes。", key=key))
    return definition


def add_version(bpmn_xml: str, actor: User | None) -> Deployment:
    """Store a validated diagram as the newest version of its process, unless it is unchanged.

    A helper of the deploying use cases (files, the designer, a roll back): it only adds and flushes.
    """
    info = engine.inspect_definition(bpmn_xml)
    current = newest_definition(info.key)
    if current is not None and current.checksum == info.checksum:
        return Deployment(key=info.key, version=current.version, created=False)
    definition = ProcessDefinition(
        key=info.key,
        version=(current.version + 1) if current else 1,
        name=info.name,
        bpmn_xml=bpmn_xml,
        checksum=info.checksum,
        deployed_at=clock.now(),
        deployed_by_id=actor.id if actor else None,
    )
    db.session.add(definition)
    db.session.flush()
    return Deployment(key=definition.key, version=definition.version, created=True)
