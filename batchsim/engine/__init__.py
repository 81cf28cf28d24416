"""The simulation kernel: jobs, queues, scheduler, compute environments and instances on SimPy."""
