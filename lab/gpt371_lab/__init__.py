"""The lab's additions to unpatched OpenStack: a container compute driver and an ML2 driver."""
