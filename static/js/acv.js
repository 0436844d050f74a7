/* ACV Suivi — what the server-rendered pages need from a script for keyboard and screen-reader users.
   Loaded as a file (the Content-Security-Policy allows no inline script); every page works without it. */
(function () {
  "use strict";

  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])";

  function live() {
    return document.getElementById("annonces");
  }

  // Polite announcements (rows added or removed, a report being built): cleared first, so that saying the same
  // thing twice is heard twice.
  function announce(text) {
    var region = live();
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function capitalise(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function firstField(container) {
    return container.matches(FIELDS) ? container : container.querySelector(FIELDS);
  }

  function goTo(target) {
    var field = firstField(target) || target;
    field.focus({ preventScroll: true });
    // Centred, so that neither the sticky bar nor the top of the window hides the field and its label.
    field.scrollIntoView({ block: "center" });
  }

  /* After a failed save the summary of errors takes the focus: it is read first, and each link leads to its field. */
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      goTo(target);
    });
  }

  /* Rows added or removed in place (htmx): say so, and put the focus where the work goes on — the new row's
     first field; after a removal, the row before it, or the « Ajouter » button when there is none. */
  function rows(container) {
    var name = container.getAttribute("data-row-name");
    // French agrees the participles with the row's name: « opération ajoutée », « indicateur ajouté ».
    var masculine = container.hasAttribute("data-row-masculine");
    var addedWord = masculine ? " ajouté (" : " ajoutée (", removedWord = masculine ? " retiré (" : " retirée (";
    var left = masculine ? " restant" : " restante";
    var addButton = document.getElementById(container.getAttribute("data-add-button"));
    function count() {
      return container.querySelectorAll("fieldset.formset-row").length;
    }
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        var added = Array.prototype.filter.call(record.addedNodes, function (node) {
          return node.nodeType === 1 && node.matches("fieldset.formset-row");
        });
        if (added.length) {
          goTo(added[added.length - 1]);
          announce(capitalise(name) + addedWord + count() + " au total).");
          return;
        }
        var removed = Array.prototype.some.call(record.removedNodes, function (node) {
          return node.nodeType === 1 && node.matches("fieldset.formset-row");
        });
        if (!removed) return;
        var previous = record.previousSibling;
        while (previous && !(previous.nodeType === 1 && previous.matches("fieldset.formset-row"))) {
          previous = previous.previousSibling;
        }
        if (previous) goTo(previous);
        else if (addButton) addButton.focus();
        announce(capitalise(name) + removedWord + count() + left + (count() > 1 ? "s" : "") + ").");
      });
    }).observe(container, { childList: true });
  }

  /* A table wider than the page scrolls inside its own box (RGAA 10.11): the box is a named region, reachable
     with the keyboard when, and only when, it has something to scroll. */
  function tableBoxes(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      if (table.closest(".table-wrap")) return;
      var box = document.createElement("div");
      box.className = "table-wrap";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
    document.querySelectorAll("main .table-wrap").forEach(function (box) {
      var caption = box.querySelector("caption");
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        box.setAttribute("aria-label", caption ? caption.textContent.trim().replace(/\s+/g, " ") : "Tableau");
      }
      if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
    });
  }

  /* A background job's status block, polled in place while the job runs: once it comes back finished, say so —
     its state and, when it made one, that its file is ready — without reading every intermediate poll. */
  var jobWasRunning = false;
  function jobStatus() {
    var block = document.getElementById("job-status");
    if (!block) return;
    if (block.hasAttribute("data-job-running")) {
      jobWasRunning = true;
      return;
    }
    if (!jobWasRunning) return;
    jobWasRunning = false;
    var state = block.querySelector(".job-status__state");
    var file = block.querySelector("a[download]");
    announce((state ? state.textContent.replace(/\s+/g, " ").trim() : "Traitement terminé.") +
      (file ? " " + file.textContent.trim() + " : le fichier est prêt." : ""));
  }

  function start() {
    errorSummary();
    document.querySelectorAll("[data-rows]").forEach(rows);
    tableBoxes(document);
    window.addEventListener("resize", function () { tableBoxes(document); });
    // Lists re-rendered in place by htmx (filters, sorting) bring new tables.
    document.body.addEventListener("htmx:afterSettle", function () { tableBoxes(document); });
    jobStatus();
    document.body.addEventListener("htmx:afterSettle", jobStatus);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
