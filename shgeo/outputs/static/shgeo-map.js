/* shgeo map page: draws the layers described by the JSON in <script id="shgeo-map-data"> with Leaflet.
 * Every text from the data is put into the page as text (textContent / text nodes), never as HTML. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("shgeo-map-data").textContent);

  function table(rows) {
    var t = document.createElement("table");
    t.className = "shgeo-popup";
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      var td = document.createElement("td");
      th.textContent = String(row[0]);
      td.textContent = String(row[1]);
      tr.appendChild(th);
      tr.appendChild(td);
      t.appendChild(tr);
    });
    return t;
  }

  function textNode(tag, text, cls) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = String(text);
    return el;
  }

  var map = L.map("shgeo-map", {preferCanvas: false, maxZoom: 19, zoomControl: true});
  window.shgeoMap = map;
  if (data.tiles) {
    L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution, maxZoom: 19}).addTo(map);
  }
  var overlays = {};
  var legend = [];
  data.layers.forEach(function (layer) {
    var style = layer.style;
    var group = L.geoJSON(layer.features, {
      style: function () { return style; },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {radius: 7, color: style.color, weight: style.weight || 2,
                                       fillColor: style.fillColor || style.color, fillOpacity: 0.6});
      },
      onEachFeature: function (feature, lyr) {
        var p = feature.properties || {};
        if (p.popup && p.popup.length) { lyr.bindPopup(function () { return table(p.popup); }); }
        if (p.tooltip) { lyr.bindTooltip(textNode("span", p.tooltip), {sticky: true}); }
        lyr.on("mouseover", function () { if (lyr.setStyle) { lyr.setStyle({weight: (style.weight || 1) + 2}); } });
        lyr.on("mouseout", function () { if (lyr.setStyle) { lyr.setStyle(style); } });
      }
    });
    group.addTo(map);
    var name = document.createElement("span");
    name.textContent = layer.label;
    overlays[name.outerHTML] = group;
    legend.push(layer);
  });
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  L.control.scale().addTo(map);

  var box = document.createElement("div");
  box.id = "shgeo-legend";
  box.appendChild(textNode("b", "图例"));
  legend.forEach(function (layer) {
    var s = layer.style;
    var row = document.createElement("div");
    var swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = s.fill === false ? "transparent" : (s.fillColor || "transparent");
    swatch.style.border = "2px " + (s.dashArray ? "dashed" : "solid") + " " + (s.color || "#000");
    row.appendChild(swatch);
    row.appendChild(document.createTextNode(layer.label));
    box.appendChild(row);
  });
  document.body.appendChild(box);
  if (data.banner) { document.body.appendChild(textNode("div", data.banner, "shgeo-banner")); }

  var b = data.bounds;  // [west, south, east, north]
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: 17});
})();
