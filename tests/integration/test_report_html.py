"""integration-report.html in a real browser: the integration_report module writes it (through ansible-playbook),
headless Chromium (Debian's `chromium`) loads it with every network fetch refused, and the test reads the DOM
Chromium built (--dump-dom) and the pixels of its screenshot (--screenshot).

The probe results are given to the module as data (what three app hosts would register): the page is what is
under test, not the probes (tests/integration/test_verify.py runs them against real services).
"""
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import pytest

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")

HOSTS = ['agent-server-0', 'agent-server-1', 'core']
POINTS = ['database', 'storage', 'xpipe']
OK = {'ok': True, 'elapsed_ms': 7, 'attempts': 1, 'checks': [{'name': 'connect', 'ok': True, 'detail': 'fine'}]}
AUTH = {'ok': False, 'failed': True, 'elapsed_ms': 31, 'attempts': 1, 'failed_check': 'bucket', 'reason': 'auth',
        'cause': 'the secret key does not match the access key', 'fix': 'check STORAGE_SECRET_KEY',
        'checks': [{'name': 'bucket', 'ok': False, 'reason': 'auth'}]}
# Chromium's flags: no sandbox (root in a container), no GPU, and no name ever resolves: a page that fetched
# anything from the network would render without it.
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run',
         '--host-resolver-rules=MAP * ~NOTFOUND', '--window-size=1400,900']


def _playbook(tmp_path):
    results = {host: {'probes': {p: OK for p in POINTS}, 'env_mismatch': []} for host in HOSTS}
    results['agent-server-1']['probes']['storage'] = AUTH
    del results['core']['probes']['xpipe']  # a probe that did not run
    task = {'gpt371.infra.integration_report': {
        'dest': str(tmp_path), 'deployment': 'demo', 'hosts': HOSTS, 'points': POINTS, 'results': results,
        'not_active': [{'name': 'demo-xpipe', 'status': 'ERROR', 'fault': 'No valid host was found.'}],
        'servers': [{'name': 'demo-agent-server-%d' % i, 'status': 'ACTIVE', 'metadata': {'gpt371_role': 'agent'}}
                    for i in range(2)],
        'agent_count': 3, 'fail_on_error': False}, 'register': 'report'}
    show = {'ansible.builtin.debug': {'msg': "RUN={{ report.run.id }}"}}
    path = tmp_path / 'report.yml'
    path.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [task, show]}]))
    return str(path)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.fetches, self.run = [], [], {}
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'td' and 'data-host' in attrs:
            self._cell = dict(attrs, text='')
            self.cells.append(self._cell)
        if attrs.get('id') == 'run':
            self.run = attrs
        self.fetches += [attrs[k] for k in ('src', 'href', 'srcset', 'poster') if attrs.get(k)]
        if tag in ('script', 'link', 'iframe', 'object', 'embed'):
            self.fetches.append(tag)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell['text'] += data

    def handle_endtag(self, tag):
        if tag == 'td':
            self._cell = None


def _png_pixels(path):
    """(width, height, set of RGB colours) of an 8-bit RGB/RGBA PNG, with the five PNG row filters undone."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat, width = 8, b'', 0
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, colour = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    raw, stride, prev, colours = zlib.decompress(idat), width * bpp, bytearray(width * bpp), set()
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, colours


def test_the_html_report_in_headless_chromium(run_playbook, tmp_path):
    res = run_playbook(_playbook(tmp_path))
    assert res.returncode == 0, res.output[-3000:]
    page = tmp_path / 'integration-report.html'
    assert page.is_file()
    url = page.as_uri()

    dom = subprocess.run([CHROMIUM, *FLAGS, '--dump-dom', url], capture_output=True, text=True, timeout=120,
                         check=False)
    assert dom.returncode == 0 and '<table id="matrix">' in dom.stdout, dom.stderr[-2000:]
    parsed = _Page()
    parsed.feed(dom.stdout)

    # One cell for each (host, point) pair: three app hosts and the ERROR server, three points.
    pairs = [(c['data-host'], c['data-point']) for c in parsed.cells]
    hosts = HOSTS + ['demo-xpipe']
    assert sorted(pairs) == sorted((h, p) for h in hosts for p in POINTS), pairs
    state = {(c['data-host'], c['data-point']): c for c in parsed.cells}
    assert [c['data-state'] for c in parsed.cells].count('pass') == 7
    failing = state[('agent-server-1', 'storage')]['text']
    # The .env matched the provisioned values (env_mismatch: []), so the diagnosis blames the service's secret.
    assert 'the storage service no longer accepts the provisioned credentials' in failing
    assert 'Fix: the secret was changed on the service side' in failing
    assert 'did not run on core' in state[('core', 'xpipe')]['text']
    assert 'server demo-xpipe is ERROR: No valid host was found.' in state[('demo-xpipe', 'database')]['text']
    assert 'openstack server set --state active demo-xpipe' in state[('demo-xpipe', 'database')]['text']
    assert 'the cloud has 2 agent servers of deployment demo, agent_count is 3' in dom.stdout

    # The header: the run's id (the one the module returned), time and deployment; nothing fetched.
    run_id = re.search(r'RUN=([0-9a-f-]{36})', res.stdout).group(1)
    assert parsed.run['data-run-id'] == run_id and parsed.run['data-deployment'] == 'demo'
    assert parsed.run['data-started'].endswith('Z') and parsed.run['data-finished'].endswith('Z')
    assert parsed.fetches == [], 'the page must be self-contained'

    # The screenshot: the page as drawn, with the pass green and the fail red of the cells.
    shot = tmp_path / 'integration-report.png'
    subprocess.run([CHROMIUM, *FLAGS, '--screenshot=%s' % shot, url], capture_output=True, timeout=120, check=True)
    width, height, colours = _png_pixels(str(shot))
    assert (width, height) == (1400, 900)
    assert bytes.fromhex('dafbe1') in colours, 'a green (pass) cell is drawn'
    assert bytes.fromhex('ffebe9') in colours, 'a red (fail) cell is drawn'
    os.makedirs(os.path.join('tests', 'output'), exist_ok=True)
    shutil.copy(shot, os.path.join('tests', 'output', 'integration-report.png'))
