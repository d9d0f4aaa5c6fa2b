# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dpkg listings -> installed / missing / undecided (the no-op gate of the apt tasks)."""
from ansible_collections.gpt371.infra.plugins.module_utils._deb_packages import (
    parse_listing, query_command, sort_packages)

# As `dpkg-query -W -f='${Package}\t${Status}\t${Version}\n'` prints it on Debian 12 (one line per known name).
LISTING = (
    'docker.io\tinstall ok installed\t20.10.24+dfsg1-1+deb12u1\n'
    'python3-yaml\thold ok installed\t6.0-3+b2\n'
    'python3-requests\tdeinstall ok config-files\t2.28.1+dfsg-1\n'
    'postgresql-16\tinstall reinstreq half-installed\t16.4-1\n'
    'containerd\tinstall ok unpacked\t1.6.20~ds1-1+b1\n'
)


def test_installed_is_the_status_word_installed_whatever_the_wanted_state():
    assert parse_listing(LISTING) == {'docker.io': '20.10.24+dfsg1-1+deb12u1', 'python3-yaml': '6.0-3+b2'}


def test_removed_half_installed_unpacked_and_unknown_names_are_missing_in_the_given_order():
    out = sort_packages(['python3-requests', 'docker.io', 'postgresql-16', 'containerd', 'not-a-package'], LISTING)
    assert out['missing'] == ['python3-requests', 'postgresql-16', 'containerd', 'not-a-package']
    assert out['installed'] == {'docker.io': '20.10.24+dfsg1-1+deb12u1'}
    assert out['undecided'] == []


def test_pins_architectures_and_patterns_are_left_to_apt():
    names = ['docker-ce=5:27.*', 'python3-yaml:amd64', 'python3-*', 'python3-yaml']
    out = sort_packages(names, LISTING)
    assert out['undecided'] == names[:3]
    assert out['missing'] == names[:3]
    assert out['installed'] == {'python3-yaml': '6.0-3+b2'}


def test_a_name_given_twice_is_counted_once():
    out = sort_packages(['docker.io', 'docker.io', 'gone', 'gone'], LISTING)
    assert out['missing'] == ['gone'] and list(out['installed']) == ['docker.io']


def test_the_query_asks_only_for_plain_names_and_nothing_when_none():
    argv = query_command('/usr/bin/dpkg-query', ['docker.io', 'docker-ce=5:27.*'])
    assert argv[:2] == ['/usr/bin/dpkg-query', '-W'] and argv[-1] == 'docker.io' and len(argv) == 4
    assert query_command('/usr/bin/dpkg-query', ['docker-ce=5:27.*']) == []


def test_malformed_lines_are_ignored():
    assert parse_listing('garbage\n\ndocker.io\tinstall ok installed\n') == {}
