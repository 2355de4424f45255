"""Process designers: the bpmn-js modeler, validated deploys, versions, migration; diagrams for everybody."""
from app.designer.routes import bp

__all__ = ["bp"]
