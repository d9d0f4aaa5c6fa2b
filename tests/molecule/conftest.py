"""Print each Molecule scenario's wall time in the terminal summary (also under pytest-xdist)."""


def pytest_terminal_summary(terminalreporter):
    lines = []
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call":
                continue
            props = dict(getattr(report, "user_properties", []))
            if "molecule_seconds" in props:
                lines.append(f"{props['molecule_scenario']}: {outcome} in {props['molecule_seconds']:.1f} s"
                             f"{props.get('molecule_figures', '')}")
    if lines:
        terminalreporter.section("molecule scenario times")
        for line in sorted(lines):
            terminalreporter.write_line(line)
