"""Compose projects that tests start on the real Docker engine (labelled, removed by id afterwards)."""
import shutil
import subprocess


def docker(*argv, check=True):
    return subprocess.run(['docker'] + list(argv), capture_output=True, text=True, timeout=180, check=check)


def missing_compose_or_image(image):
    """True when the docker CLI, compose v2 or the (locally built, never pulled) image is missing."""
    return (shutil.which('docker') is None
            or subprocess.run(['docker', 'compose', 'version'], capture_output=True, check=False).returncode != 0
            or subprocess.run(['docker', 'image', 'inspect', image], capture_output=True, check=False).returncode != 0)


class ComposeProject(object):
    """Containers and network of one compose project ``self.name``."""
    name = None

    def ids(self):
        return docker('ps', '-aq', '--filter', 'label=com.docker.compose.project=%s' % self.name).stdout.split()

    def remove(self):
        ids = self.ids()
        if ids:
            docker('rm', '-f', *ids, check=False)
        docker('network', 'rm', '%s_default' % self.name, check=False)
