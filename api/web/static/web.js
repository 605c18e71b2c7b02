// Small progressive help: a field that matters only for one choice is shown with that choice.
// Without JavaScript every field stays visible and the server decides.
document.querySelectorAll("[data-show-when]").forEach(function (block) {
  var trigger = document.getElementById(block.getAttribute("data-show-when"));
  if (!trigger) return;
  var radios = document.querySelectorAll('input[name="' + trigger.name + '"]');
  function update() { block.hidden = !trigger.checked; }
  radios.forEach(function (r) { r.addEventListener("change", update); });
  update();
});
