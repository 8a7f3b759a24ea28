// The moderation queue: a "select all" box for the bulk form, and the bulk button saying how
// many comments it will act on. Without JavaScript the checkboxes and forms work as they are.
"use strict";

(function () {
  var bulk = document.getElementById("bulk");
  if (!bulk) return;
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=comment_ids][form=bulk]"));
  var button = bulk.querySelector("[data-action=bulk]");
  var fieldset = bulk.querySelector("fieldset");

  var all = document.createElement("label");
  all.className = "check";
  var allBox = document.createElement("input");
  allBox.type = "checkbox";
  allBox.setAttribute("data-action", "select-all");
  all.appendChild(allBox);
  all.appendChild(document.createTextNode(" Select all on this page"));
  fieldset.insertBefore(all, fieldset.firstChild.nextSibling);

  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    button.textContent = ticked ? "Apply to " + ticked + (ticked === 1 ? " comment" : " comments") : "Apply to ticked";
    button.disabled = ticked === 0;
    allBox.checked = ticked === boxes.length && ticked > 0;
    allBox.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  allBox.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = allBox.checked; });
    update();
  });
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  bulk.addEventListener("submit", function (event) {
    var action = bulk.querySelector("select[name=action]").value;
    if (action === "ban_author" && !window.confirm("Remove the ticked comments and ban their authors?")) {
      event.preventDefault();
    }
  });
  update();
})();
