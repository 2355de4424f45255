/* The process designer: the vendored bpmn-js Modeler plus a side form of our own that edits what the
   engine needs (names, conditions, timers, a user task's form and roles) through the modeler's API.
   Text from diagrams or the server is only ever put into the page with textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("design-data").textContent);
  var text = window.JiefenDesigner.text;
  var statusEl = document.getElementById("designer-status");
  var problemsEl = document.getElementById("designer-problems");
  var form = document.getElementById("side-form");
  var fields = {
    empty: document.getElementById("side-empty"),
    type: document.getElementById("side-type"),
    id: document.getElementById("side-id"),
    name: document.getElementById("side-name"),
    conditionField: document.getElementById("side-condition-field"),
    condition: document.getElementById("side-condition"),
    isDefault: document.getElementById("side-default"),
    timerField: document.getElementById("side-timer-field"),
    timerKind: document.getElementById("side-timer-kind"),
    timer: document.getElementById("side-timer"),
    taskFields: document.getElementById("side-task-fields"),
    formKey: document.getElementById("side-form-key"),
    roles: Array.prototype.slice.call(document.querySelectorAll("input[name=side-role]"))
  };
  var modeler, modeling, moddle, canvas, overlays, elementRegistry;
  var selected = null;
  var markedIds = [];

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = kind ? "status-" + kind : "";
  }

  function isGatewaySplit(flow) {
    var source = flow.businessObject.sourceRef;
    return source && /Gateway$/.test(source.$type) && source.$type !== "bpmn:ParallelGateway";
  }

  function timerDefinition(element) {
    var definitions = element.businessObject.eventDefinitions || [];
    return definitions.filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0] || null;
  }

  function show(element) {
    selected = element && element.type !== "bpmn:Process" && element.type !== "label" ? element : null;
    form.hidden = !selected;
    fields.empty.hidden = !!selected;
    if (!selected) { return; }
    var bo = selected.businessObject;
    fields.type.textContent = bo.$type.replace("bpmn:", "");
    fields.id.textContent = bo.id;
    if (picker.value !== selected.id) { picker.value = selected.id; }
    fields.name.value = bo.name || "";

    var isFlow = selected.type === "bpmn:SequenceFlow" && isGatewaySplit(selected);
    fields.conditionField.hidden = !isFlow;
    if (isFlow) {
      fields.condition.value = bo.conditionExpression ? (bo.conditionExpression.body || "") : "";
      fields.isDefault.checked = bo.sourceRef.default === bo;
    }

    var timer = timerDefinition(selected);
    fields.timerField.hidden = !timer;
    if (timer) {
      var kind = timer.timeDate ? "timeDate" : "timeDuration";
      fields.timerKind.value = kind;
      var body = timer[kind] ? (timer[kind].body || "") : "";
      fields.timer.value = body.replace(/^(["'])(.*)\1$/, "$2");
    }

    var isTask = selected.type === "bpmn:UserTask";
    fields.taskFields.hidden = !isTask;
    if (isTask) {
      fields.formKey.value = bo.get("camunda:formKey") || "";
      var groups = (bo.get("camunda:candidateGroups") || "").split(",").map(function (g) { return g.trim(); });
      fields.roles.forEach(function (box) { box.checked = groups.indexOf(box.value) >= 0; });
    }
  }

  function expression(text) {
    return text ? moddle.create("bpmn:FormalExpression", { body: text }) : undefined;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();  // the side form edits the diagram; only the buttons send it to the server
  });
  fields.name.addEventListener("change", function () {
    if (selected) { modeling.updateProperties(selected, { name: fields.name.value.trim() || undefined }); }
  });
  fields.condition.addEventListener("change", function () {
    if (selected) {
      modeling.updateProperties(selected, { conditionExpression: expression(fields.condition.value.trim()) });
    }
  });
  fields.isDefault.addEventListener("change", function () {
    if (!selected) { return; }
    var source = elementRegistry.get(selected.businessObject.sourceRef.id);
    var current = source.businessObject.default;
    if (fields.isDefault.checked) {
      modeling.updateProperties(source, { "default": selected.businessObject });
    } else if (current === selected.businessObject) {
      modeling.updateProperties(source, { "default": undefined });
    }
  });
  function updateTimer() {
    var timer = selected && timerDefinition(selected);
    if (!timer) { return; }
    var kind = fields.timerKind.value;
    var properties = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    properties[kind] = expression(fields.timer.value.trim());
    modeling.updateModdleProperties(selected, timer, properties);
  }
  fields.timer.addEventListener("change", updateTimer);
  fields.timerKind.addEventListener("change", updateTimer);
  fields.formKey.addEventListener("change", function () {
    if (selected) { modeling.updateProperties(selected, { "camunda:formKey": fields.formKey.value || undefined }); }
  });
  fields.roles.forEach(function (box) {
    box.addEventListener("change", function () {
      if (!selected) { return; }
      var roles = fields.roles.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      modeling.updateProperties(selected, { "camunda:candidateGroups": roles.join(",") || undefined });
    });
  });

  function clearProblems() {
    overlays.remove({ type: "problem" });
    markedIds.forEach(function (id) { if (elementRegistry.get(id)) { canvas.removeMarker(id, "has-problem"); } });
    markedIds = [];
    problemsEl.textContent = "";
    problemsEl.hidden = true;
  }

  function showProblems(problems) {
    clearProblems();
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.setAttribute("data-testid", "designer-problem");
      item.setAttribute("data-element-id", problem.element_id || "");
      var where = problem.element_name || problem.element_id;
      item.textContent = where ? text("problemAt", { element: where, problem: problem.message }) : problem.message;
      problemsEl.appendChild(item);
      if (problem.element_id && elementRegistry.get(problem.element_id)) {
        canvas.addMarker(problem.element_id, "has-problem");
        markedIds.push(problem.element_id);
        var badge = document.createElement("div");
        badge.className = "problem-badge";
        badge.setAttribute("data-testid", "problem-overlay");
        badge.textContent = problem.message;
        overlays.add(problem.element_id, "problem", { position: { bottom: -6, left: 0 }, html: badge });
        item.addEventListener("click", function () {
          modeler.get("selection").select(elementRegistry.get(problem.element_id));
        });
      }
    });
    problemsEl.hidden = problems.length === 0;
  }

  function post(url) {
    // A change still in a focused field is written before the diagram is sent.
    if (document.activeElement && form.contains(document.activeElement)) { document.activeElement.blur(); }
    return modeler.saveXML({ format: true }).then(function (result) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrfToken, "Accept": "application/json" },
        body: JSON.stringify({ xml: result.xml })
      });
    }).then(function (response) {
      return response.json().catch(function () { return { message: text("serverStatus", { status: response.status }) }; })
        .then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  document.getElementById("save-draft").addEventListener("click", function () {
    setStatus(text("saving"));
    post(data.draftUrl).then(function (answer) {
      setStatus(answer.ok ? text("draftSaved") : answer.body.message, answer.ok ? "ok" : "error");
    }).catch(function () { setStatus(text("saveFailed"), "error"); });
  });

  document.getElementById("deploy").addEventListener("click", function () {
    setStatus(text("validating"));
    post(data.deployUrl).then(function (answer) {
      if (answer.ok) {
        clearProblems();
        statusEl.textContent = "";
        statusEl.className = "status-ok";
        statusEl.appendChild(document.createTextNode(
          text(answer.body.created ? "deployed" : "unchanged", { version: answer.body.version }) + " "));
        var link = document.createElement("a");
        link.href = answer.body.url;
        link.textContent = text("viewVersion");
        link.setAttribute("data-testid", "deployed-link");
        statusEl.appendChild(link);
      } else {
        setStatus(answer.body.message, "error");
        showProblems(answer.body.problems || []);
      }
    }).catch(function () { setStatus(text("deployFailed"), "error"); });
  });

  var picker = document.getElementById("side-pick");
  function fillPicker() {
    var elements = elementRegistry.filter(function (element) {
      return element.type !== "label" && element.type !== "bpmn:Process" && element.businessObject &&
        element.businessObject.id;
    });
    var keep = picker.value;
    while (picker.options.length > 1) { picker.remove(1); }
    elements.forEach(function (element) {
      var option = document.createElement("option");
      option.value = element.id;
      option.textContent = text("elementOption", {
        name: element.businessObject.name || element.id, type: element.type.replace("bpmn:", "")
      });
      picker.appendChild(option);
    });
    picker.value = keep && elementRegistry.get(keep) ? keep : "";
  }
  picker.addEventListener("change", function () {
    var element = picker.value && elementRegistry.get(picker.value);
    if (element) { modeler.get("selection").select(element); }
  });

  fetch(data.camundaUrl).then(function (response) { return response.json(); }).then(function (camunda) {
    modeler = new window.BpmnJS({ container: "#designer-canvas", moddleExtensions: { camunda: camunda } });
    modeling = modeler.get("modeling");
    moddle = modeler.get("moddle");
    canvas = modeler.get("canvas");
    overlays = modeler.get("overlays");
    elementRegistry = modeler.get("elementRegistry");
    var eventBus = modeler.get("eventBus");
    eventBus.on("commandStack.changed", fillPicker);
    eventBus.on("selection.changed", function (event) { show(event.newSelection[0]); });
    eventBus.on("element.changed", function (event) {
      if (selected && event.element === selected && !form.contains(document.activeElement)) { show(selected); }
    });
    return modeler.importXML(data.xml);
  }).then(function () {
    canvas.zoom("fit-viewport");
    fillPicker();
    document.getElementById("designer-canvas").setAttribute("data-ready", "true");
  }).catch(function (error) {
    setStatus(text("openFailed", { reason: error.message }), "error");
  });
}());
