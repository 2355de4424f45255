/* Read-only diagrams with the vendored bpmn-js NavigatedViewer: a case's position (finished steps,
   current tasks, waiting timers with their due time on hover) or a process's heatmap of open work.
   Drag to pan, Ctrl + wheel to zoom, or the buttons; a case opens centred on its current steps. A diagram is
   drawn once it is scrolled near.
   Every text from the server goes into the page with textContent. */
(function () {
  "use strict";
  var text = window.JiefenDesigner.text;
  var READABLE_SCALE = 0.9;

  function formatTime(iso, zone) {
    try {
      return new Date(iso).toLocaleString(document.documentElement.lang || "zh-CN",
        { timeZone: zone || "Asia/Shanghai", hour12: false });
    } catch (error) {
      return iso;
    }
  }

  function badge(text, className, testid, title) {
    var el = document.createElement("div");
    el.className = className;
    el.textContent = text;
    el.setAttribute("data-testid", testid);
    if (title) { el.title = title; }
    return el;
  }

  function showCase(viewer, data, container) {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    var zone = container.getAttribute("data-timezone");
    data.completed.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "step-done"); } });
    data.current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "step-current"); } });
    data.timers.forEach(function (timer) {
      if (!registry.get(timer.bpmn_id)) { return; }
      var due = formatTime(timer.due_at, zone);
      canvas.addMarker(timer.bpmn_id, "timer-pending");
      var el = badge("⏱ " + due, "timer-badge", "timer-overlay", text("timerDue", { timer: timer.name || timer.bpmn_id, due: due }));
      el.setAttribute("data-element-id", timer.bpmn_id);
      overlays.add(timer.bpmn_id, "timer", { position: { bottom: -4, left: -20 }, html: el });
    });
  }

  function showHeatmap(viewer, data, container) {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    var most = Math.max.apply(null, [1].concat(data.counts.map(function (c) { return c.waiting; })));
    var table = container.parentNode.querySelector("[data-testid=heatmap-table]");
    data.counts.forEach(function (count) {
      var element = registry.get(count.bpmn_id);
      var level = Math.min(4, Math.ceil(4 * count.waiting / most));
      if (element) {
        canvas.addMarker(count.bpmn_id, "heat-" + level);
        var label = [text("waiting", { count: count.waiting })]
          .concat(count.yellow ? [text("yellow", { count: count.yellow })] : [])
          .concat(count.red ? [text("red", { count: count.red })] : []).join(" · ");
        var el = badge(label, "heat-badge" + (count.red ? " heat-red" : count.yellow ? " heat-yellow" : ""), "heat-overlay");
        el.setAttribute("data-element-id", count.bpmn_id);
        overlays.add(count.bpmn_id, "heat", { position: { top: -14, left: 0 }, html: el });
      }
      if (table) {
        var row = document.createElement("tr");
        [element && element.businessObject.name || count.bpmn_id, count.waiting, count.yellow, count.red].forEach(function (value) {
          var cell = document.createElement("td");
          cell.textContent = String(value);
          row.appendChild(cell);
        });
        table.tBodies[0].appendChild(row);
        table.hidden = false;
      }
    });
  }

  // Fit the diagram; when that makes it too small to read, show the current steps at full size instead.
  function centreOnCurrent(viewer, current) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    var shapes = (current || []).map(function (id) { return registry.get(id); }).filter(Boolean);
    if (!shapes.length || canvas.zoom() >= READABLE_SCALE) { return; }
    var left = Math.min.apply(null, shapes.map(function (s) { return s.x; }));
    var top = Math.min.apply(null, shapes.map(function (s) { return s.y; }));
    var right = Math.max.apply(null, shapes.map(function (s) { return s.x + s.width; }));
    var bottom = Math.max.apply(null, shapes.map(function (s) { return s.y + s.height; }));
    var outer = canvas.viewbox().outer;
    var width = outer.width / READABLE_SCALE;
    var height = outer.height / READABLE_SCALE;
    canvas.viewbox({ x: (left + right) / 2 - width / 2, y: (top + bottom) / 2 - height / 2, width: width, height: height });
  }

  function addTools(viewer, container, current) {
    var canvas = viewer.get("canvas");
    var tools = document.createElement("div");
    tools.className = "diagram-tools";
    [["zoomIn", "+", function () { canvas.zoom(canvas.zoom() * 1.25); }],
     ["zoomOut", "−", function () { canvas.zoom(canvas.zoom() / 1.25); }],
     ["fitAll", "⤢", function () { canvas.zoom("fit-viewport", "auto"); }],
     ["showCurrent", "◎", function () { centreOnCurrent(viewer, current); }]
    ].forEach(function (tool) {
      if (tool[0] === "showCurrent" && !current.length) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = tool[1];
      button.title = text(tool[0]);
      button.setAttribute("aria-label", text(tool[0]));
      button.setAttribute("data-testid", "diagram-" + tool[0]);
      button.addEventListener("click", tool[2]);
      tools.appendChild(button);
    });
    container.appendChild(tools);
  }

  function draw(container) {
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-diagram-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        return viewer.importXML(data.xml).then(function () {
          if (container.getAttribute("data-diagram-kind") === "heatmap") {
            showHeatmap(viewer, data, container);
            viewer.get("canvas").zoom("fit-viewport", "auto");
          } else {
            showCase(viewer, data, container);
            centreOnCurrent(viewer, data.current);
          }
          addTools(viewer, container, data.current || []);
          container.setAttribute("data-ready", "true");
        });
      })
      .catch(function (error) {
        var message = document.createElement("p");
        message.className = "error";
        message.textContent = text("showFailed", { reason: error.message });
        container.appendChild(message);
      });
  }

  // Each diagram is fetched and drawn when it comes near the screen: drawing one takes a phone's CPU for a
  // moment, and a case page read for its current step never scrolls down to it.
  var containers = Array.prototype.slice.call(document.querySelectorAll("[data-diagram-url]"));
  if (!("IntersectionObserver" in window)) {
    containers.forEach(draw);
    return;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        draw(entry.target);
      }
    });
  }, { rootMargin: "200px" });
  containers.forEach(function (container) { observer.observe(container); });
}());
