/* The dashboard's map: Streamlit's component protocol around SamonMap.
 * Each render message carries the layers in drawing order, each naming its
 * parts by hash; only the parts this frame does not hold yet come along, so a
 * filter change sends and redraws only what changed. A hash this frame does
 * not hold (after a reload) is asked for again through the component's value. */
(function () {
  "use strict";
  // A new frame counts from 0 again: the nonce keeps its values apart from an earlier frame's.
  var map = null, seq = 0, clicks = false, nonce = Math.random().toString(36).slice(2);

  function send(type, data) {
    var message = {isStreamlitMessage: true, type: type};
    for (var k in data) message[k] = data[k];
    window.parent.postMessage(message, "*");
  }

  function report(value) {
    seq += 1;
    value.seq = nonce + ":" + seq;
    send("streamlit:setComponentValue", {value: value, dataType: "json"});
  }

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (!message || message.type !== "streamlit:render") return;
    var args = message.args;
    var element = document.getElementById("map");
    clicks = !!args.report_clicks;
    if (!map) {
      element.style.height = args.height + "px";
      map = SamonMap.create(element);
      window.map = map.map;  // the Leaflet map, for the browser tests and the benchmark
      map.map.on("click", function (e) {
        if (clicks) report({clicked: {lat: e.latlng.lat, lng: e.latlng.lng}, missing: []});
      });
      send("streamlit:setFrameHeight", {height: args.height});
    }
    // The parts new to this frame come as one JSON object {hash: part} in bytes
    // (each part's text made once on the server for every session).
    var parts = JSON.parse(new TextDecoder().decode(args.parts));
    var missing = map.update(args.frame, args.layers, parts);
    if (missing.length) report({missing: missing, clicked: null});
  });

  send("streamlit:componentReady", {apiVersion: 1});
})();
