"""Deploying BPMN definitions: a changed file becomes a new version; running cases keep theirs."""
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessDefinition, User
from app.services import clock, engine
from app.services.errors import DefinitionError, NotFoundError
from app.services.transaction import transaction


@dataclass(frozen=True)
class Deployment:
    key: str
    version: int
    created: bool


@transaction
def deploy_processes(directory: str | Path, actor: User | None = None) -> list[Deployment]:
    """Deploy every `*.bpmn` file of a directory (process id == file stem), all or nothing."""
    files = sorted(Path(directory).glob("*.bpmn"))
    if not files:
        raise DefinitionError(_("%(directory)s 中没有 BPMN 文件。", directory=directory))
    return [_deploy(path.read_text(encoding="utf-8"), path.stem, actor) for path in files]


def latest_definition(key: str) -> ProcessDefinition:
    definition = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc())
    ).first()
    if definition is None:
        raise NotFoundError(_("流程 “%(key)s” 尚未部署；请先运行 deploy-processes。", key=key))
    return definition


def _deploy(bpmn_xml: str, expected_key: str, actor: User | None) -> Deployment:
    info = engine.inspect_definition(bpmn_xml)
    if info.key != expected_key:
        raise DefinitionError(_("文件 %(expected_key)s.bpmn 中的流程 id 是 “%(key)s”，应与文件名相同。", expected_key=expected_key, key=info.key))
    try:
        current = latest_definition(info.key)
    except NotFoundError:
        current = None
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
