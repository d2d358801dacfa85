// Running total of the study plan (C5): the sum of the hours column.
(function () {
  var total = document.getElementById("plan-total");
  if (!total) return;
  function update() {
    var sum = 0;
    document.querySelectorAll("input.hours").forEach(function (input) {
      var v = parseFloat(input.value);
      if (!isNaN(v)) sum += Math.round(v * 10);
    });
    total.textContent = (sum / 10).toFixed(1);
    var target = parseFloat(total.dataset.target);
    total.classList.toggle("mismatch", !isNaN(target) && Math.abs(sum / 10 - target) > 0.001);
  }
  document.addEventListener("input", function (e) {
    if (e.target.classList && e.target.classList.contains("hours")) update();
  });
  update();
})();
