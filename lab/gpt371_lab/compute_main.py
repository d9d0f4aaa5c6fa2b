"""Start nova-compute with the lab's driver, Nova unpatched.

Nova loads a driver only as `nova.virt.<compute_driver>`: register ours under that name.
nova.cmd.compute is imported first because importing it applies Nova's monkey-patching.
"""
import sys

import nova.cmd.compute

from gpt371_lab import docker_driver

sys.modules['nova.virt.gpt371_docker'] = docker_driver

if __name__ == '__main__':
    sys.exit(nova.cmd.compute.main())
