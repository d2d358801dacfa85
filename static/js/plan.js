// Running total of the study plan (C5): the sum of the hours column.
(function () {
  var total = document.getElementById("plan-total");
  if (!total) return;
  function update() {
    var sum = 0;
    document.querySelectorAll("input.hours").forEach(function (input) {
      // Hundredths of an hour (0.25 h = 25): exact, as the server sums them.
      var v = parseFloat(input.value);
      if (!isNaN(v)) sum += Math.round(v * 100);
    });
    total.textContent = (sum / 100).toFixed(2);
    var target = Math.round(parseFloat(total.dataset.target) * 100);
    total.classList.toggle("mismatch", !isNaN(target) && sum !== target);
  }
  document.addEventListener("input", function (e) {
    if (e.target.classList && e.target.classList.contains("hours")) update();
  });
  update();
})();
