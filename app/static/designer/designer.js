/* The process designer: the vendored bpmn-js Modeler plus a side form of our own that edits what the
   engine needs (the process's id, name and executable flag; names, conditions, timers, a user task's
   form and roles) through the modeler's API. Import a .bpmn file with the file input or by dropping it
   on the canvas. Text from diagrams or the server is only ever put into the page with textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("design-data").textContent);
  var text = window.JiefenDesigner.text;
  var statusEl = document.getElementById("designer-status");
  var problemsEl = document.getElementById("designer-problems");
  var canvasEl = document.getElementById("designer-canvas");
  var form = document.getElementById("side-form");
  var fields = {
    empty: document.getElementById("side-empty"),
    type: document.getElementById("side-type"),
    id: document.getElementById("side-id"),
    problems: document.getElementById("side-problems"),
    processIdField: document.getElementById("side-process-id-field"),
    processId: document.getElementById("side-process-id"),
    name: document.getElementById("side-name"),
    executableField: document.getElementById("side-executable-field"),
    executable: document.getElementById("side-executable"),
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
  var confirmEl = document.getElementById("designer-confirm");
  var picker = document.getElementById("side-pick");
  var modeler, modeling, moddle, canvas, overlays, elementRegistry;
  var selected = null;
  var markedIds = [];
  var problemsById = {};
  var pendingChecksum = null;

  function setStatus(message, kind) {
    statusEl.textContent = message;
    statusEl.className = kind ? "status-" + kind : "";
  }

  // What the side form edits for an element: the process (the root, or a pool's process), a
  // gateway's outgoing flow, a timer event, a user task; everything has a name.
  function processOf(element) {
    if (!element) { return null; }
    var bo = element.businessObject;
    if (element.type === "bpmn:Process") { return bo; }
    if (element.type === "bpmn:Participant" && bo.processRef) { return bo.processRef; }
    return null;
  }

  function isGatewayBranch(element) {
    if (!element || element.type !== "bpmn:SequenceFlow") { return false; }
    var source = element.businessObject.sourceRef;
    return !!source && (source.$type === "bpmn:ExclusiveGateway" || source.$type === "bpmn:InclusiveGateway");
  }

  function timerDefinition(element) {
    var definitions = (element && element.businessObject.eventDefinitions) || [];
    return definitions.filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0] || null;
  }

  function isUserTask(element) { return !!element && element.type === "bpmn:UserTask"; }

  function label(bo) {
    var name = (bo.name || "").replace(/\s+/g, " ").trim();
    return name ? text("elementLabel", { name: name, id: bo.id }) : bo.id;
  }

  // Nothing selected (a click on the background) shows the process itself.
  function show(element) {
    element = element && element.type === "label" ? element.labelTarget : element;
    element = element || canvas.getRootElement();
    selected = element && element.businessObject && element.type !== "bpmn:Collaboration" ? element : null;
    form.hidden = !selected;
    fields.empty.hidden = !!selected;
    if (!selected) { picker.value = ""; return; }
    var bo = selected.businessObject;
    fields.type.textContent = bo.$type.replace("bpmn:", "");
    fields.id.textContent = bo.id;
    if (picker.value !== selected.id) { picker.value = selected.id; }
    fields.name.value = bo.name || "";

    var process = processOf(selected);
    fields.processIdField.hidden = !process;
    fields.executableField.hidden = !process;
    if (process) {
      fields.processId.value = process.id || "";
      fields.executable.checked = process.isExecutable === true;
    }

    var branch = isGatewayBranch(selected);
    fields.conditionField.hidden = !branch;
    if (branch) {
      fields.condition.value = bo.conditionExpression ? (bo.conditionExpression.body || "") : "";
      fields.isDefault.checked = bo.sourceRef.default === bo;
    }

    var timer = timerDefinition(selected);
    fields.timerField.hidden = !timer;
    if (timer) {
      var kind = timer.timeCycle ? "timeCycle" : timer.timeDate ? "timeDate" : "timeDuration";
      fields.timerKind.value = kind;
      var body = timer[kind] ? (timer[kind].body || "") : "";
      fields.timer.value = body.replace(/^(["'])(.*)\1$/, "$2");
    }

    fields.taskFields.hidden = !isUserTask(selected);
    if (isUserTask(selected)) {
      fields.formKey.value = bo.get("camunda:formKey") || "";
      var groups = (bo.get("camunda:candidateGroups") || "").split(",").map(function (g) { return g.trim(); });
      fields.roles.forEach(function (box) { box.checked = groups.indexOf(box.value) >= 0; });
    }
    showSideProblems(bo.id, process && process.id);
  }

  function expression(value) {
    return value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
  }

  function updateProcess(properties) {
    var process = processOf(selected);
    if (!process) { return; }
    if (selected.type === "bpmn:Process") {
      modeling.updateProperties(selected, properties);
    } else {
      modeling.updateModdleProperties(selected, process, properties);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();  // the side form edits the diagram; only the buttons send it to the server
  });
  fields.name.addEventListener("change", function () {
    if (selected) { modeling.updateProperties(selected, { name: fields.name.value.trim() || undefined }); }
  });
  fields.processId.addEventListener("change", function () {
    var value = fields.processId.value.trim();
    if (value && processOf(selected)) { updateProcess({ id: value }); fillPicker(); }
  });
  fields.executable.addEventListener("change", function () {
    updateProcess({ isExecutable: fields.executable.checked });
  });
  fields.condition.addEventListener("change", function () {
    if (isGatewayBranch(selected)) {
      modeling.updateProperties(selected, { conditionExpression: expression(fields.condition.value.trim()) });
    }
  });
  fields.isDefault.addEventListener("change", function () {
    if (!isGatewayBranch(selected)) { return; }
    var source = elementRegistry.get(selected.businessObject.sourceRef.id);
    var current = source.businessObject.default;
    if (fields.isDefault.checked) {
      modeling.updateProperties(source, { "default": selected.businessObject });
    } else if (current === selected.businessObject) {
      modeling.updateProperties(source, { "default": undefined });
    }
  });
  function updateTimer() {
    var timer = timerDefinition(selected);
    if (!timer) { return; }
    var properties = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    properties[fields.timerKind.value] = expression(fields.timer.value.trim());
    modeling.updateModdleProperties(selected, timer, properties);
  }
  fields.timer.addEventListener("change", updateTimer);
  fields.timerKind.addEventListener("change", updateTimer);
  fields.formKey.addEventListener("change", function () {
    if (isUserTask(selected)) {
      modeling.updateProperties(selected, { "camunda:formKey": fields.formKey.value || undefined });
    }
  });
  fields.roles.forEach(function (box) {
    box.addEventListener("change", function () {
      if (!isUserTask(selected)) { return; }
      var roles = fields.roles.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      modeling.updateProperties(selected, { "camunda:candidateGroups": roles.join(",") || undefined });
    });
  });

  // --- Problems: a list above the canvas, one badge per element sized to its text, and the
  // selected element's problems in the side form.
  function problemItem(problem, testid) {
    var item = document.createElement("li");
    item.setAttribute("data-testid", testid);
    item.setAttribute("data-element-id", problem.element_id || "");
    var where = problem.element_id ? label({ id: problem.element_id, name: problem.element_name }) : "";
    item.appendChild(document.createTextNode(
      where ? text("problemAt", { element: where, problem: problem.message }) : problem.message));
    if (problem.details) {
      var details = document.createElement("div");
      details.className = "problem-details";
      details.textContent = text("details", { details: problem.details });
      item.appendChild(details);
    }
    return item;
  }

  function showSideProblems(id, processId) {
    fields.problems.textContent = "";
    var found = (problemsById[id] || []).concat(processId && processId !== id ? problemsById[processId] || [] : []);
    found.forEach(function (problem) {
      var item = document.createElement("li");
      item.setAttribute("data-testid", "side-problem");
      item.textContent = problem.message;
      fields.problems.appendChild(item);
    });
    fields.problems.hidden = found.length === 0;
  }

  function clearProblems() {
    overlays.remove({ type: "problem" });
    markedIds.forEach(function (id) { if (elementRegistry.get(id)) { canvas.removeMarker(id, "has-problem"); } });
    markedIds = [];
    problemsById = {};
    problemsEl.textContent = "";
    problemsEl.hidden = true;
    fields.problems.textContent = "";
    fields.problems.hidden = true;
  }

  function showProblems(problems) {
    clearProblems();
    var root = canvas.getRootElement();
    problems.forEach(function (problem) {
      var item = problemItem(problem, "designer-problem");
      problemsEl.appendChild(item);
      var id = problem.element_id;
      if (!id) { return; }
      (problemsById[id] = problemsById[id] || []).push(problem);
      var element = elementRegistry.get(id);
      if (element) {
        item.addEventListener("click", function () { modeler.get("selection").select(element); });
      }
    });
    Object.keys(problemsById).forEach(function (id) {
      var element = elementRegistry.get(id);
      // The process itself has no shape: its problems stay in the list and in the side form.
      if (!element || element === root || element.type === "bpmn:Process") { return; }
      canvas.addMarker(id, "has-problem");
      markedIds.push(id);
      // A short badge that stays readable at any zoom; the messages are in the list and, for the
      // selected element, in the side form (and in the badge's tooltip).
      var badge = document.createElement("div");
      badge.className = "problem-badge";
      badge.setAttribute("data-testid", "problem-badge");
      badge.setAttribute("data-element-id", id);
      badge.textContent = "⚠ " + text("problemCount", { count: problemsById[id].length });
      badge.title = problemsById[id].map(function (problem) { return problem.message; }).join("\n");
      badge.addEventListener("click", function () { modeler.get("selection").select(element); });
      var isFlow = !!element.waypoints;
      overlays.add(id, "problem", {
        position: isFlow ? { top: -10, left: 0 } : { bottom: -4, left: -4 }, html: badge,
        scale: { min: 1, max: 1.5 }
      });
    });
    problemsEl.hidden = problems.length === 0;
    if (selected) { show(selected); }
  }

  // --- Saving, deploying and confirming a replacement.
  function post(url, extra) {
    // A change still in a focused field is written before the diagram is sent.
    if (document.activeElement && form.contains(document.activeElement)) { document.activeElement.blur(); }
    return modeler.saveXML({ format: true }).then(function (result) {
      return send(url, Object.assign({ xml: result.xml }, extra || {}));
    });
  }

  function send(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrfToken, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { message: text("serverStatus", { status: response.status }) }; })
        .then(function (answer) { return { ok: response.ok, status: response.status, body: answer }; });
    });
  }

  document.getElementById("save-draft").addEventListener("click", function () {
    setStatus(text("saving"));
    post(data.draftUrl).then(function (answer) {
      setStatus(answer.ok ? text("draftSaved") : answer.body.message, answer.ok ? "ok" : "error");
    }).catch(function () { setStatus(text("saveFailed"), "error"); });
  });

  function fillList(id, entries) {
    var list = document.getElementById(id);
    list.textContent = "";
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      item.textContent = entry;
      list.appendChild(item);
    });
    if (!entries.length) {
      var none = document.createElement("li");
      none.className = "empty";
      none.textContent = text("noChanges");
      list.appendChild(none);
    }
  }

  function askConfirmation(confirmation) {
    pendingChecksum = confirmation.checksum;
    fillList("confirm-consequences", confirmation.consequences);
    fillList("confirm-added", confirmation.added.map(function (c) { return label({ id: c.element_id, name: c.name }); }));
    fillList("confirm-removed", confirmation.removed.map(function (c) { return label({ id: c.element_id, name: c.name }); }));
    fillList("confirm-changed", confirmation.changed.map(function (c) {
      return text("problemAt", { element: label({ id: c.element_id, name: c.name }), problem: c.changes.join("；") });
    }));
    confirmEl.hidden = false;
    confirmEl.scrollIntoView({ block: "nearest" });
  }

  function deploy(extra) {
    setStatus(text("validating"));
    confirmEl.hidden = true;
    post(data.deployUrl, extra).then(function (answer) {
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
      } else if (answer.status === 409 && answer.body.confirmation) {
        clearProblems();
        setStatus(answer.body.message + " " + text("needsConfirmation"), "error");
        askConfirmation(answer.body.confirmation);
      } else {
        setStatus(answer.body.message, "error");
        showProblems(answer.body.problems || []);
      }
    }).catch(function () { setStatus(text("deployFailed"), "error"); });
  }

  document.getElementById("deploy").addEventListener("click", function () { deploy(); });
  document.getElementById("confirm-deploy").addEventListener("click", function () {
    deploy({ confirm: pendingChecksum });
  });
  document.getElementById("confirm-cancel").addEventListener("click", function () {
    confirmEl.hidden = true;
    setStatus(text("notDeployed"));
  });

  // --- Importing a .bpmn file: the server checks size and XML safety and keeps it as the draft.
  function importFile(file) {
    if (!file) { return; }
    if (file.size > data.maxBytes) {
      setStatus(text("importTooLarge", { file: file.name, size: Math.floor(data.maxBytes / 1024) }), "error");
      return;
    }
    setStatus(text("importing", { file: file.name }));
    file.text().then(function (xml) {
      return send(data.importUrl, { xml: xml });
    }).then(function (answer) {
      if (!answer.ok) { setStatus(answer.body.message, "error"); return null; }
      return open(answer.body.xml).then(function () {
        setStatus(text("imported", { file: file.name }), "ok");
      });
    }).catch(function (error) {
      setStatus(error && error.message ? text("openFailed", { reason: error.message }) : text("importFailed"), "error");
    });
  }

  var fileInput = document.getElementById("import-file");
  fileInput.addEventListener("change", function () {
    importFile(fileInput.files[0]);
    fileInput.value = "";
  });
  function hasFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") >= 0;
  }
  canvasEl.addEventListener("dragover", function (event) {
    if (!hasFiles(event)) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    canvasEl.classList.add("dropping");
  });
  canvasEl.addEventListener("dragleave", function () { canvasEl.classList.remove("dropping"); });
  canvasEl.addEventListener("drop", function (event) {
    if (!hasFiles(event)) { return; }
    event.preventDefault();
    canvasEl.classList.remove("dropping");
    importFile(event.dataTransfer.files[0]);
  });

  // --- The element picker: the process first, then every element with an id.
  function fillPicker() {
    var root = canvas.getRootElement();
    var elements = elementRegistry.filter(function (element) {
      return element.type !== "label" && element.businessObject && element.businessObject.id;
    });
    var keep = picker.value;
    while (picker.options.length > 1) { picker.remove(1); }
    elements.sort(function (a, b) { return (b === root) - (a === root); });
    elements.forEach(function (element) {
      var option = document.createElement("option");
      option.value = element.id;
      var bo = element.businessObject;
      option.textContent = element.type === "bpmn:Process"
        ? text("processOption", { name: bo.name || bo.id })
        : text("elementOption", { name: bo.name || element.id, type: element.type.replace("bpmn:", "") });
      picker.appendChild(option);
    });
    picker.value = keep && elementRegistry.get(keep) ? keep : "";
  }
  picker.addEventListener("change", function () {
    var element = picker.value && elementRegistry.get(picker.value);
    if (!element || element === canvas.getRootElement()) {
      modeler.get("selection").select(null);
      show(null);
    } else {
      modeler.get("selection").select(element);
    }
  });

  function open(xml) {
    selected = null;
    return modeler.importXML(xml).then(function () {
      clearProblems();
      confirmEl.hidden = true;
      canvas.zoom("fit-viewport", "auto");
      fillPicker();
      show(null);
    });
  }

  fetch(data.camundaUrl).then(function (response) { return response.json(); }).then(function (camunda) {
    modeler = new window.BpmnJS({ container: canvasEl, moddleExtensions: { camunda: camunda } });
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
    return open(data.xml);
  }).then(function () {
    canvasEl.setAttribute("data-ready", "true");
  }).catch(function (error) {
    setStatus(text("openFailed", { reason: error.message }), "error");
  });
}());
