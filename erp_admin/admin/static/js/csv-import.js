/* CSV import page: send the upload (preview) and Confirm forms in the background and show real progress.
 *
 * Each form is posted with XMLHttpRequest together with a random progress id; the
 * upload's own progress events give the percentage sent, then the page polls
 * <import url>/progress/<id>/ (answered by any worker, see csvio/progress.py)
 * for the server's phase and counts. The server's answer (the preview, or the
 * list after a redirect, with its message) then replaces this page. Without
 * JavaScript, or without XMLHttpRequest/FormData, the forms post as plain forms.
 */
(function () {
  'use strict';

  var POLL_MS = 250;
  var box = document.querySelector('[data-testid=import-progress]');
  if (!box || !window.FormData || !window.XMLHttpRequest || !window.crypto || !window.fetch) {
    return;
  }
  var text = box.querySelector('[data-testid=progress-text]');
  var bar = box.querySelector('.progress-bar');
  var number = new Intl.NumberFormat('en');

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }

  function show(phase, message, done, total) {
    box.hidden = false;
    box.setAttribute('data-phase', phase);
    text.textContent = message;
    var percent = total ? Math.min(100, Math.round(100 * done / total)) : 100;
    bar.style.width = percent + '%';
    bar.setAttribute('aria-valuenow', String(percent));
    bar.classList.toggle('progress-bar-striped', !total);
    bar.classList.toggle('progress-bar-animated', !total);
  }

  function mib(bytes) {
    return (bytes / 1048576).toFixed(1) + ' MiB';
  }

  function showServer(state) {
    var counts = state.total ? number.format(state.done) + ' of ' + number.format(state.total) : number.format(state.done);
    if (state.phase === 'read') {
      show('read', 'Reading the file…', 0, 0);
    } else if (state.phase === 'validate') {
      show('validate', 'Checking rows: ' + counts, state.done, state.total);
    } else if (state.phase === 'write') {
      show('write', 'Writing rows: ' + counts, state.done, state.total);
    } else if (state.phase === 'done') {
      show('done', 'Finishing…', 1, 1);
    }
  }

  // Show the server's answer as if the form had been posted normally.
  function replacePage(xhr, form) {
    var followed = xhr.responseURL && xhr.responseURL !== form.action;
    if (followed) {
      window.history.replaceState(null, '', xhr.responseURL);  // the list after a redirect: reload shows it again
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
  }

  function send(form) {
    var id = randomId();
    var data = new FormData(form);
    data.append('progress', id);
    var pollUrl = box.getAttribute('data-progress-url') + id + '/';
    var finished = false;
    var uploaded = false;
    var timer = null;

    function poll() {
      fetch(pollUrl, {credentials: 'same-origin', headers: {Accept: 'application/json'}, cache: 'no-store'})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (state && !finished) { showServer(state); }
        })
        .catch(function () { /* no news this time */ })
        .then(function () {
          if (!finished) { timer = window.setTimeout(poll, POLL_MS); }
        });
    }

    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.upload.addEventListener('progress', function (event) {
      if (event.lengthComputable && !uploaded) {
        show('upload', 'Uploading: ' + Math.round(100 * event.loaded / event.total) + ' % (' + mib(event.loaded) +
             ' of ' + mib(event.total) + ')', event.loaded, event.total);
      }
    });
    xhr.upload.addEventListener('load', function () {
      uploaded = true;
      show('wait', 'Uploaded; waiting for the server…', 0, 0);
    });
    xhr.addEventListener('load', function () {
      finished = true;
      window.clearTimeout(timer);
      replacePage(xhr, form);
    });
    function failed() {
      finished = true;
      window.clearTimeout(timer);
      box.classList.replace('alert-info', 'alert-danger');
      show('error', 'The connection to the server failed. Check the network and try again.', 0, 1);
      form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = false; });
    }
    xhr.addEventListener('error', failed);
    xhr.addEventListener('abort', failed);
    xhr.send(data);
    show('wait', 'Sending…', 0, 0);
    poll();
  }

  document.querySelectorAll('form.csv-progress-form').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      box.classList.replace('alert-danger', 'alert-info');
      form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });  // no second submit
      box.scrollIntoView({block: 'nearest'});
      send(form);
    });
  });
}());
