(function () {
  var box = document.getElementById("filter"), count = document.getElementById("filter-count");
  if (!box) return;
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0, all = 0;
    document.querySelectorAll("main tbody tr").forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep; all += 1; shown += keep ? 1 : 0;
    });
    count.textContent = words.length ? shown + " of " + all + " rows" : "";
  });
})();
