"""Small BPMN diagrams for the designer's tests: one valid process, with a knob for each kind of problem."""

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">'
)


def diagram(*, form_key="follow_up", groups="mediator", default=' default="f_late"',
            condition="result == 'agreement'", timer='<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3D'
            '</bpmn:timeDuration>', extra="") -> str:
    groups_attr = f' camunda:candidateGroups="{groups}"' if groups is not None else ""
    return HEAD + f"""
  <bpmn:process id="tiny" name="小流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit" />
    <bpmn:userTask id="visit" name="回访" camunda:formKey="{form_key}"{groups_attr}>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="visit_deadline" name="回访时限" attachedToRef="visit" cancelActivity="false">
      <bpmn:outgoing>f_timer</bpmn:outgoing>
      <bpmn:timerEventDefinition id="visit_deadline_timer">{timer}</bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_timer" sourceRef="visit_deadline" targetRef="late_noted" />
    <bpmn:endEvent id="late_noted" name="超时记录"><bpmn:incoming>f_timer</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="kept" />
    <bpmn:exclusiveGateway id="kept" name="是否履行"{default}>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_ok</bpmn:outgoing><bpmn:outgoing>f_late</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_ok" name="已履行" sourceRef="kept" targetRef="done">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_late" sourceRef="kept" targetRef="done" />
    <bpmn:endEvent id="done" name="结束"><bpmn:incoming>f_ok</bpmn:incoming><bpmn:incoming>f_late</bpmn:incoming></bpmn:endEvent>
    {extra}
  </bpmn:process>
</bpmn:definitions>"""


def cycle_timer(value: str) -> str:
    return diagram(timer=f'<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{value}</bpmn:timeCycle>')


def timer_start() -> str:
    return diagram().replace(
        '<bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>')


def receive_task() -> str:
    """A message wait before the visit: SpiffWorkflow cannot save the state it leaves."""
    return diagram().replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit" />',
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />'
        '<bpmn:receiveTask id="wait" name="等待回函" messageRef="reply"><bpmn:incoming>f1</bpmn:incoming>'
        '<bpmn:outgoing>f0</bpmn:outgoing></bpmn:receiveTask><bpmn:sequenceFlow id="f0" sourceRef="wait" targetRef="visit" />'
    ).replace("</bpmn:definitions>", '<bpmn:message id="reply" name="回函" /></bpmn:definitions>')


def start_to_end(process_id: str = "tiny") -> str:
    return HEAD + f"""
  <bpmn:process id="{process_id}" name="直接结束" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="done" />
    <bpmn:endEvent id="done"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""
