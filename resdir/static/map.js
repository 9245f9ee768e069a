/* The map beside the search results: one marker per program on the page that has a public
   place (confidential places get none). The list is the page; the map only adds to it, so
   it works without tiles (offline, a blocked tile server) and without this script. */
(function () {
  "use strict";
  var box = document.getElementById("results-map");
  if (!box || typeof L === "undefined") {
    return;
  }
  var items = Array.prototype.slice.call(document.querySelectorAll("li.result[data-lat]"));
  var map = L.map(box, { scrollWheelZoom: false });
  var tiles = L.tileLayer(box.getAttribute("data-tiles"), {
    maxZoom: 19,
    attribution: box.getAttribute("data-attribution")
  });
  var failed = 0;
  tiles.on("tileerror", function () {
    failed += 1;
    box.setAttribute("data-tiles-failed", String(failed));
    box.classList.add("no-tiles");
  });
  tiles.addTo(map);

  function highlight(item) {
    items.forEach(function (other) { other.classList.remove("highlight"); });
    item.classList.add("highlight");
  }

  var points = [];
  items.forEach(function (item) {
    var point = [parseFloat(item.getAttribute("data-lat")), parseFloat(item.getAttribute("data-lon"))];
    var link = item.querySelector("h3 a");
    var number = item.id.replace("result-", "");
    var name = number + ". " + link.textContent;
    var marker = L.marker(point, { title: name, alt: name }).addTo(map);
    var popup = document.createElement("a");
    popup.href = link.href;
    popup.textContent = name;
    marker.bindPopup(popup);
    marker.on("popupopen", function () { highlight(item); });  // click or Enter
    points.push(point);
  });
  if (points.length === 1) {
    map.setView(points[0], 14);
  } else {
    map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
  }
  box.setAttribute("data-markers", String(points.length));
})();
