# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# PRIVATE to gpt371.infra: may change without notice; do not import from other collections.
"""Which Debian packages are installed? Pure functions over one ``dpkg-query -W`` listing.

A no-op run asks dpkg (milliseconds, no apt cache opened) and calls apt only for what is missing.
"""

from __future__ import absolute_import, division, print_function

import re

__metaclass__ = type

# The listing's format: one line per package dpkg knows, "name<TAB>want flag status<TAB>version".
QUERY_FORMAT = '${Package}\t${Status}\t${Version}\n'

# A plain package name (Debian policy 5.6.1). Anything else (name=version, name:arch, globs, name>=1) is left
# to apt: it is reported as undecided and counted as missing, so apt, not this reader, settles it.
PLAIN_NAME = re.compile(r'^[a-z0-9][a-z0-9+.-]+$')


def query_command(dpkg_query, names):
    """The argv that lists the plain names among names (none: nothing to ask)."""
    plain = [name for name in names if PLAIN_NAME.match(name)]
    return [dpkg_query, '-W', '-f=' + QUERY_FORMAT] + plain if plain else []


def parse_listing(text):
    """{name: version} of the packages the listing shows as installed (status word "installed")."""
    installed = {}
    for line in text.splitlines():
        fields = line.split('\t')
        if len(fields) != 3:
            continue
        name, status, version = fields
        words = status.split()
        if len(words) == 3 and words[2] == 'installed':
            installed[name] = version
    return installed


def sort_packages(names, listing):
    """{'installed': {name: version}, 'missing': [...], 'undecided': [...]}, names in the order given.

    missing holds every name not installed, the undecided ones (a pin, an architecture, a pattern) included.
    """
    installed_now = parse_listing(listing)
    out = {'installed': {}, 'missing': [], 'undecided': []}
    for name in names:
        if name in out['installed'] or name in out['missing']:
            continue
        if not PLAIN_NAME.match(name):
            out['undecided'].append(name)
            out['missing'].append(name)
        elif name in installed_now:
            out['installed'][name] = installed_now[name]
        else:
            out['missing'].append(name)
    return out
