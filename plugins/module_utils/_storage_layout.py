# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpt371.infra maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE to gpt371.infra: the bucket layout of the storage role and its audit.

Pure functions, wrapped by plugins/filter/storage_layout.py, tested in
tests/unit/plugins/module_utils/test_storage_layout.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# S3 bucket names: 3-63 characters, lowercase letters, digits, dots and hyphens, a letter or digit at each end.
BUCKET_RE = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z')
LIFECYCLE_MODES = ('auto', 'required', 'skip')


def layout(areas, bucket, separate=False, area_buckets=None, backups_area='backups'):
    """Each area's bucket, the buckets to create (in order, once each), and the bucket and prefix of the backups.

    Shared bucket: every area is a prefix "<area>/" of `bucket`. Separate buckets: "<bucket>-<area>" unless
    area_buckets names another; the prefix is then empty."""
    area_buckets = area_buckets or {}
    if separate:
        area_map = dict((a, area_buckets.get(a, '%s-%s' % (bucket, a))) for a in areas)
    else:
        area_map = dict((a, bucket) for a in areas)
    buckets = []
    for name in area_map.values():
        if name not in buckets:
            buckets.append(name)
    return {'area_map': area_map, 'buckets': buckets or [bucket],
            'backups_bucket': area_map.get(backups_area, bucket),
            'backups_prefix': '' if separate else '%s/' % backups_area,
            'prefixes': [] if separate else ['%s/' % a for a in areas]}


def errors(layout_, endpoint_url, access_key, secret_key, backups_area, expiration_days, lifecycle):
    """Messages naming the variable and the fix; [] when the role may run. Never prints a key."""
    found = []
    if not endpoint_url:
        found.append('set storage_endpoint_url (the S3 endpoint, e.g. https://10.0.0.7:9000)')
    if not access_key or not secret_key:
        found.append('set storage_access_key and storage_secret_key (vault, AWX credential or the '
                     'STORAGE_ACCESS_KEY/STORAGE_SECRET_KEY environment)')
    if int(expiration_days or 0) > 0 and backups_area not in layout_['area_map']:
        found.append('name storage_backups_area (%s) among storage_areas, or set storage_backups_expiration_days: 0'
                     % backups_area)
    if lifecycle not in LIFECYCLE_MODES:
        found.append('storage_lifecycle must be one of %s, got %r' % (', '.join(LIFECYCLE_MODES), lifecycle))
    bad = [b for b in layout_['buckets'] if not BUCKET_RE.match(b)]
    if bad:
        found.append('bucket name(s) %s are not valid S3 names (3-63 lowercase letters, digits, dots, hyphens): '
                     'fix storage_bucket or storage_area_buckets' % ', '.join(bad))
    return found


def prefix_keys(registered):
    """{prefix: [keys]} from a registered s3_object mode=list loop over the prefixes (skipped items left out)."""
    return dict((r.get('item'), r.get('s3_keys') or []) for r in (registered or {}).get('results', [])
                if isinstance(r, dict) and not r.get('skipped') and not r.get('failed'))


def lifecycle_rules(registered):
    """The rules from a registered s3_bucket_info with bucket_lifecycle_configuration; None when the call was
    skipped or failed (unknown), [] when the bucket has none."""
    if not registered or registered.get('skipped') or registered.get('failed'):
        return None
    buckets = registered.get('buckets') or [{}]
    return (buckets[0].get('bucket_lifecycle_configuration') or {}).get('Rules') or []


def drift(layout_, bucket_names, prefix_keys, lifecycle_rules, expiration_days, rule_id, lifecycle):
    """What differs in the store from the layout, one phrase each; [] when nothing does.

    bucket_names: the buckets the store lists; prefix_keys: {prefix: [keys found under it]} in the shared bucket
    (or the registered s3_object list loop);
    lifecycle_rules: the backups bucket's rules (None: unknown, e.g. the store has no lifecycle support), or the
    registered s3_bucket_info result."""
    if isinstance(prefix_keys, dict) and 'results' in prefix_keys:
        prefix_keys = globals()['prefix_keys'](prefix_keys)
    if isinstance(lifecycle_rules, dict):
        lifecycle_rules = globals()['lifecycle_rules'](lifecycle_rules)
    found = ['bucket missing: %s' % b for b in layout_['buckets'] if b not in bucket_names]
    for prefix in layout_['prefixes']:
        if prefix not in (prefix_keys or {}).get(prefix, []) and layout_['buckets'][0] in bucket_names:
            found.append('prefix missing: %s/%s' % (layout_['buckets'][0], prefix))
    if lifecycle != 'skip' and int(expiration_days or 0) > 0 and layout_['backups_bucket'] in bucket_names:
        if lifecycle_rules is None:
            if lifecycle == 'required':
                found.append('lifecycle rules of %s unreadable' % layout_['backups_bucket'])
        else:
            problem = _rule_problem(layout_, lifecycle_rules, expiration_days, rule_id)
            if problem:
                found.append(problem)
    return found


def _rule_problem(layout_, lifecycle_rules, expiration_days, rule_id):
    """How the backups bucket's rule ``rule_id`` differs from the wanted one (a phrase), or None."""
    rule = [r for r in lifecycle_rules if r.get('ID') == rule_id]
    if not rule:
        return 'lifecycle rule %s missing on %s' % (rule_id, layout_['backups_bucket'])
    rule = rule[0]
    prefix = rule.get('Filter', {}).get('Prefix', rule.get('Prefix', ''))
    days = rule.get('Expiration', {}).get('Days')
    if rule.get('Status') != 'Enabled' or prefix != layout_['backups_prefix'] or days != int(expiration_days):
        return ('lifecycle rule %s on %s is %s %r after %s days, wanted Enabled %r after %s days'
                % (rule_id, layout_['backups_bucket'], rule.get('Status'), prefix, days, layout_['backups_prefix'],
                   int(expiration_days)))
    return None


def deploy_plan(layout_, bucket_names, prefix_keys, lifecycle_rules, expiration_days, rule_id, lifecycle):
    """What the storage role's deploy applies, from the store as it is (the arguments of drift()).

    ``buckets``: the buckets to create; ``prefixes``: the area prefixes to create in the shared bucket (all of them
    when that bucket is to be created); ``lifecycle``: whether to apply the backups rule. The rule is applied when
    it differs, when its bucket is to be created, and when the store did not say what it has (None): the apply
    then tells whether the store supports lifecycle rules (the role's storage_lifecycle handling)."""
    buckets = [b for b in layout_['buckets'] if b not in bucket_names]
    shared_missing = layout_['buckets'][0] in buckets
    prefixes = [p for p in layout_['prefixes'] if shared_missing or p not in (prefix_keys or {}).get(p, [])]
    apply_rule = lifecycle != 'skip' and int(expiration_days or 0) > 0 and (
        layout_['backups_bucket'] in buckets or lifecycle_rules is None
        or _rule_problem(layout_, lifecycle_rules, expiration_days, rule_id) is not None)
    return {'buckets': buckets, 'prefixes': prefixes, 'lifecycle': bool(apply_rule)}
