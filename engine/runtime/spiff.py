"""SpiffWorkflow runtime: parsing with a per-hash spec cache, compact serialization, task facts.

The serialized state of a case holds only the instance (tasks and data);
the process spec is pinned by the case's process version and comes from the
in-process cache, so a case never re-parses XML and stored state stays small.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import zlib
from dataclasses import dataclass

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import TaskState

from ..kernel import settings
from ..kernel.xml import parse_xml
from .decision_tables import runnable
from .expressions import script_engine
from .failures import ENDLESS, ENGINE_FAILED, UNSTORABLE, DiagramFailed, running


class BoundedWorkflow(BpmnWorkflow):
    """A workflow whose engine steps stop, naming the element, when one call runs more tasks or longer
    than the settings allow (ENGINE_STEPS, ENGINE_SECONDS): a standard loop whose condition never turns
    or a gateway looping back for ever. SpiffWorkflow's cost per step grows with the task tree, so a
    thousand steps already take seconds; real cases run tens."""

    def do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        ran = 0
        deadline = time.monotonic() + settings.ENGINE_SECONDS

        def counted(task):
            nonlocal ran
            ran += 1
            if ran > settings.ENGINE_STEPS or time.monotonic() > deadline:
                spec = task.task_spec
                detail = f"{ran} steps, {settings.ENGINE_SECONDS:g} s"
                raise DiagramFailed(spec.bpmn_id, spec.bpmn_name, ENDLESS, detail)
            if did_complete_task is not None:
                did_complete_task(task)

        super().do_engine_steps(will_complete_task, counted)


def content_hash(xml: bytes | str) -> str:
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    return hashlib.sha256(xml).hexdigest()


@dataclass(frozen=True)
class ProcessSpec:
    key: str
    spec: object
    subprocess_specs: dict


class SpecCache:
    """Parsed specs by content hash; parse each diagram once per process."""

    def __init__(self) -> None:
        self._specs: dict[str, ProcessSpec] = {}
        self._lock = threading.Lock()
        self.parses = 0  # observable by tests: creating cases must not re-parse

    def cached(self, digest: str) -> ProcessSpec | None:
        return self._specs.get(digest)

    def get(
        self, digest: str, xml: bytes | str, key: str, decisions: dict | None = None, callees: dict | None = None
    ) -> ProcessSpec:
        found = self._specs.get(digest)
        if found is not None:
            return found
        with self._lock:
            found = self._specs.get(digest)
            if found is None:
                found = parse_process(xml, key, decisions, callees)
                self.parses += 1
                self._specs[digest] = found
            return found


def parse_process(
    xml: bytes | str, key: str, decisions: dict | None = None, callees: dict | None = None
) -> ProcessSpec:
    """Parse a diagram with the decision tables (DMN XML by name) its business rule tasks call and
    the processes (BPMN XML by process id) its call activities call from other files."""
    parser = SpiffBpmnParser()
    try:
        for name, dmn in sorted((decisions or {}).items()):
            parser.add_dmn_xml(runnable(parse_xml(dmn)), filename=f"{name}.dmn")
        parser.add_bpmn_xml(parse_xml(xml), filename=f"{key}.bpmn")
        for callee_key, callee in sorted((callees or {}).items()):
            parser.add_bpmn_xml(parse_xml(callee), filename=f"{callee_key}.bpmn")
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as err:  # validation parses the same way; a diagram it let through is still no 500
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DiagramFailed(getattr(err, "id", None) or None, None, ENGINE_FAILED, detail[:500]) from None
    for process in (spec, *subprocess_specs.values()):
        _connect_loop_merges(process)
    return ProcessSpec(key, spec, subprocess_specs)


def _connect_loop_merges(process) -> None:
    """Wire each multi-instance's merge as the serializer does on restore.

    SpiffWorkflow connects it only when it creates the instances, so a freshly
    parsed spec (another web worker, a restart) would never merge a department's
    answer nor finish the joint handling.
    """
    for task_spec in list(process.task_specs.values()):
        if isinstance(task_spec, LoopTask):
            child = process.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


class PinnedWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the stored state; restores it from the cache."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, process: ProcessSpec | None = None):
        if process is None:  # optional only to match the base signature; `load_state` always passes it
            raise TypeError("a pinned workflow is restored with its process spec (load_state)")
        workflow = BoundedWorkflow(process.spec, process.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        workflow.script_engine = SCRIPT_ENGINE
        return workflow


def _uuid(value):
    from uuid import UUID

    return UUID(value)


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = PinnedWorkflowConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
# A bounded workflow is stored as the BpmnWorkflow it is (states stay readable by any version of the code).
SERIALIZER.registry.typenames[BoundedWorkflow] = SERIALIZER.registry.typenames[BpmnWorkflow]
SCRIPT_ENGINE = script_engine()


def new_workflow(process: ProcessSpec, data: dict, start: bool = True) -> BpmnWorkflow:
    """A workflow with `data`, run to its first waits (`start=False`: not yet run)."""
    with running():  # SpiffWorkflow predicts the whole tree here: a flow looping onto itself recurses
        workflow = BoundedWorkflow(process.spec, process.subprocess_specs, script_engine=SCRIPT_ENGINE)
    workflow.data.update(data)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    if start:
        with running():
            workflow.do_engine_steps()
    return workflow


# Stored state is compressed JSON in a text column ("z:" + base64 of zlib): a closed case
# shrinks about tenfold. States stored as plain JSON before still load.
COMPRESSED = "z:"


def dump_state(workflow: BpmnWorkflow) -> str:
    try:
        raw = json.dumps(SERIALIZER.to_dict(workflow), separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError) as err:  # an expression (not a script: those are checked) left a set, a date…
        raise DiagramFailed(None, None, UNSTORABLE, str(err)[:300]) from None
    return COMPRESSED + base64.b64encode(zlib.compress(raw, 1)).decode("ascii")  # level 1: 2x faster, 12% larger


def state_json(state: str) -> dict:
    if state.startswith(COMPRESSED):
        return json.loads(zlib.decompress(base64.b64decode(state[len(COMPRESSED) :])))
    return json.loads(state)


def load_state(state: str, process: ProcessSpec) -> BpmnWorkflow:
    return SERIALIZER.from_dict(state_json(state), process=process)


class WorkflowCache:
    """Workflows this process just stored, by case: a command on a case this process moved last
    takes its workflow from here instead of restoring it from the stored state (restoring is most of
    the cost of a step; SpiffWorkflow's converter rebuilds every task).

    An entry is keyed by the case's id and version, and is used only if the stored state is exactly
    the one this process wrote: any other writer (another worker, a migration) makes it a miss. A
    command takes the entry out (`take`), so a workflow it changed and then abandoned (an error, a
    lost race) is never seen again; the pipeline puts it back (`keep`) only after its commit. Reads
    only `peek` at it when they merely look (which joint handling runs); otherwise they restore their own
    copy. Small and bounded: the oldest entries go first.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: dict[int, tuple[int, str, BpmnWorkflow]] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, case_id: int | None, version: int | None, state: str) -> BpmnWorkflow | None:
        with self._lock:
            entry = self._entries.pop(case_id, None) if case_id is not None else None
            if entry is not None and entry[0] == version and entry[1] == state:
                self.hits += 1
                return entry[2]
            self.misses += 1
            return None

    def peek(self, case_id: int | None, version: int | None, state: str) -> BpmnWorkflow | None:
        """The entry for a read that only looks (never changes the workflow it is given), left in place."""
        with self._lock:
            entry = self._entries.get(case_id) if case_id is not None else None
            if entry is not None and entry[0] == version and entry[1] == state:
                return entry[2]
            return None

    def keep(self, case_id: int, version: int, state: str, workflow: BpmnWorkflow) -> None:
        with self._lock:
            self._entries.pop(case_id, None)
            self._entries[case_id] = (version, state, workflow)
            while len(self._entries) > self.size:
                self._entries.pop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


WORKFLOWS = WorkflowCache()


@dataclass(frozen=True)
class ReadyTask:
    """What the inbox needs to know of one READY user task."""

    id: str
    spec_name: str
    name: str
    lane: str | None
    properties: dict
    data: dict


def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    result = []
    for task in workflow.get_tasks(state=TaskState.READY, spec_class=UserTask):
        result.append(
            ReadyTask(
                id=str(task.id),
                spec_name=task.task_spec.bpmn_id,
                name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                lane=lane_of(task),
                properties=task.task_spec.extensions.get("properties", {}),
                data=task.data,
            )
        )
    return result


def lane_of(task) -> str | None:
    """A task's lane, inherited from the enclosing subprocess when it has none."""
    while task is not None:
        if task.task_spec.lane:
            return task.task_spec.lane
        parent_id = getattr(task.workflow, "parent_task_id", None)
        task = task.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return None


def find_task(workflow: BpmnWorkflow, task_id: str):
    from uuid import UUID

    try:
        return workflow.get_task_from_id(UUID(task_id))
    except Exception:
        return None
