"""Generate models/platform-release.toml: a software release across seven teams (~120 tasks).

The committed TOML is the model; this script documents how it was built and regenerates it:

    python models/generate_platform_release.py > models/platform-release.toml

Each team works its features one after another (design -> build -> review), so the team is a
chain; features hand work to other teams through FS, SS, FF and SF links with lags and leads; then
a shared stabilisation, beta and rollout phase. Estimates mix every distribution riskcast knows.
The estimates are drawn once from a fixed seed, so the output never changes.
"""

from __future__ import annotations

import random

TEAMS = {
    "platform": (
        "Platform",
        [
            "Kubernetes upgrade",
            "Service mesh rollout",
            "Observability stack",
            "CI pipeline migration",
            "Secrets management",
        ],
    ),
    "identity": (
        "Identity",
        ["SSO with SAML", "MFA enrolment", "Session service rewrite", "Audit log"],
    ),
    "billing": (
        "Billing",
        ["Usage metering", "Invoice generation", "Tax engine integration", "Payment retries"],
    ),
    "api": ("API", ["Public API v2 endpoints", "Rate limiting", "Webhooks", "SDK generation"]),
    "web": (
        "Web",
        [
            "Dashboard redesign",
            "Settings pages",
            "Onboarding flow",
            "Accessibility fixes",
            "Billing pages",
        ],
    ),
    "mobile": (
        "Mobile",
        ["iOS app update", "Android app update", "Push notifications", "Offline mode"],
    ),
    "data": ("Data", ["Event pipeline", "Warehouse schema v3", "Usage reports"]),
}

rng = random.Random(2027)


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def r(x: float) -> float:
    return round(x * 2) / 2  # half days


def design_estimate() -> str:
    m = rng.choice([3, 4, 5, 6, 8])
    return f"{{ pert = [{r(m * 0.7)}, {m}, {r(m * 1.8)}] }}"


def build_estimate() -> str:
    m = rng.choice([8, 10, 12, 15, 18, 20])
    kind = rng.choice(["triangular", "lognormal", "pert-lambda", "beta", "triangular", "lognormal"])
    if kind == "triangular":
        return f"{{ triangular = [{r(m * 0.8)}, {m}, {r(m * 1.9)}] }}"
    if kind == "lognormal":
        return f"{{ lognormal = {{ p10 = {r(m * 0.8)}, p90 = {r(m * 1.7)} }} }}"
    if kind == "beta":
        return f"{{ beta = {{ low = {r(m * 0.7)}, high = {r(m * 2.0)}, alpha = 2, beta = 4 }} }}"
    return f"{{ pert = {{ low = {r(m * 0.8)}, mode = {m}, high = {r(m * 2.0)}, lambda = 3 }} }}"


def review_estimate() -> str:
    m = rng.choice([2, 3, 4])
    if rng.random() < 0.5:
        return f"{{ uniform = [{m}, {m + 3}] }}"
    return f"{{ lognormal = {{ mean = {m + 1}, sd = {r(m * 0.6)} }} }}"


def link(task: str, type: str = "FS", lag: float = 0) -> str:
    if type == "FS" and lag == 0:
        return f'"{task}"'
    if lag == 0:
        return f'{{ task = "{task}", type = "{type}" }}'
    return f'{{ task = "{task}", type = "{type}", lag = {lag:g} }}'


def task(id: str, name: str, estimate: str, after: list[str], team: str, comment: str = "") -> str:
    lines = ["[[task]]", f'id = "{id}"', f'name = "{name}"', f"estimate = {estimate}"]
    if after:
        lines.append(f"after = [{', '.join(after)}]")
    lines.append(f'tags = {{ team = "{team}" }}')
    if comment:
        lines[0] = f"[[task]]   # {comment}"
    return "\n".join(lines) + "\n"


def milestone(id: str, name: str, after: list[str], target: str, comment: str) -> str:
    return (
        f'# {comment}\n[[milestone]]\nid = "{id}"\nname = "{name}"\n'
        f"after = [{', '.join(after)}]\ntarget = {target}\n"
    )


def main() -> str:
    out = [HEADER]
    out.append("# --- Planning ---------------------------------------------------------------\n")
    out.append(
        task(
            "kickoff", "Release kickoff and scope lock", "{ triangular = [1, 2, 4] }", [], "program"
        )
    )
    out.append(
        task(
            "architecture",
            "Architecture review",
            "{ pert = [3, 5, 9] }",
            [link("kickoff")],
            "program",
        )
    )
    reviews = []
    ids: dict[str, list[tuple[str, str, str]]] = {}
    for team, (team_name, features) in TEAMS.items():
        out.append(f"# --- {team_name} team " + "-" * (70 - len(team_name)) + "\n")
        req = f"{team}-requirements"
        out.append(
            task(req, f"{team_name} requirements", "{ pert = [2, 3, 6] }", [link("kickoff")], team)
        )
        prev_design = prev_build = None
        ids[team] = []
        for k, feature in enumerate(features):
            base = f"{team}-{slug(feature)}"
            d, b, v = f"{base}-design", f"{base}-build", f"{base}-review"
            d_after = [link(prev_design)] if prev_design else [link(req), link("architecture")]
            out.append(task(d, f"{feature}: design", design_estimate(), d_after, team))
            # Build starts when its design is done and the team has finished the previous build;
            # the platform team's first build starts 3 days before its design is signed off.
            lead = -3 if (k == 0 and team == "platform") else 0
            b_after = [link(d, "FS", lead)] + ([link(prev_build)] if prev_build else [])
            out.append(task(b, f"{feature}: build", build_estimate(), b_after, team))
            # Review and tests start two days into the build's last stretch: FF with a lag keeps
            # the review finishing after the build.
            out.append(
                task(
                    v,
                    f"{feature}: code review and tests",
                    review_estimate(),
                    [link(b, "SS", 4), link(b, "FF", 2)],
                    team,
                )
            )
            reviews.append(v)
            ids[team].append((d, b, v))
            prev_design, prev_build = d, b
    out.append(
        milestone(
            "design-freeze",
            "Design freeze",
            [link(ids[team][-1][0]) for team in TEAMS],
            "2027-04-01",
            "Every feature's design is signed off",
        )
    )
    out.append("# --- Cross-team work ---------------------------------------------------------\n")
    api_v2 = ids["api"][0][1]
    out.append(
        task(
            "api-contract-tests",
            "API v2 contract tests",
            "{ triangular = [3, 5, 9] }",
            [link(api_v2, "SS", 5), link(api_v2, "FF", 1)],
            "api",
            "runs alongside the v2 build",
        )
    )
    out.append(
        task(
            "sdk-docs",
            "SDK reference docs",
            "{ pert = [3, 4, 8] }",
            [link(ids["api"][3][0]), link(ids["api"][3][1], "FF", 2)],
            "docs",
        )
    )
    out.append(
        task(
            "web-identity-integration",
            "Web: SSO and MFA screens",
            "{ triangular = [4, 6, 12] }",
            [link(ids["identity"][1][1]), link(ids["web"][1][0])],
            "web",
        )
    )
    out.append(
        task(
            "mobile-push-backend",
            "Mobile push: backend hookup",
            "{ lognormal = { p10 = 3, p90 = 8 } }",
            [link(ids["api"][2][1], "SS", 5), link(ids["mobile"][2][0])],
            "mobile",
            "webhooks must be half built",
        )
    )
    out.append(
        task(
            "billing-data-feed",
            "Billing: usage feed from the event pipeline",
            "{ pert = [4, 6, 12] }",
            [link(ids["data"][0][1]), link(ids["billing"][0][0])],
            "billing",
        )
    )
    out.append(
        task(
            "incident-runbooks",
            "Incident runbooks for new services",
            "{ exponential = { mean = 4 } }",
            [link(ids["platform"][2][1])],
            "platform",
            "how long this takes is hard to say: exponential",
        )
    )
    out.append("# --- Stabilisation -----------------------------------------------------------\n")
    out.append(
        milestone(
            "feature-complete",
            "Feature complete",
            [link(ids[team][-1][1]) for team in TEAMS]
            + [
                link("web-identity-integration"),
                link("mobile-push-backend"),
                link("billing-data-feed"),
            ],
            "2027-07-16",
            "Every feature is built; from here only fixes",
        )
    )
    out.append(
        task(
            "release-branch",
            "Cut the release branch",
            "{ discrete = { values = [1, 2, 4], weights = [0.7, 0.2, 0.1] } }",
            [link("feature-complete")],
            "release",
        )
    )
    out.append(
        task(
            "integration",
            "End-to-end integration",
            "{ pert = [5, 8, 16] }",
            [link("release-branch")]
            + [link(v) for v in reviews]
            + [link("api-contract-tests"), link("sdk-docs")],
            "qa",
        )
    )
    out.append(
        task(
            "regression-1",
            "Regression cycle 1",
            "{ empirical = [6, 8, 7, 11, 9, 14, 8] }",
            [link("integration")],
            "qa",
            "last seven regression cycles",
        )
    )
    out.append(
        task(
            "perf-testing",
            "Performance and load testing",
            "{ normal = { mean = 8, sd = 2, low = 4 } }",
            [link("regression-1", "SS", 2), link("regression-1", "FF", 0)],
            "qa",
        )
    )
    out.append(
        task(
            "pen-test",
            "External penetration test",
            "{ fixed = 10 }",
            [link("integration", "FS", 5)],
            "security",
            "contracted: exactly two weeks, booked a week after integration starts",
        )
    )
    out.append(
        task(
            "pen-test-fixes",
            "Fix penetration test findings",
            "{ lognormal = { p10 = 2, p90 = 10 } }",
            [link("pen-test")],
            "security",
        )
    )
    out.append(
        task(
            "regression-2",
            "Regression cycle 2",
            "{ empirical = [4, 6, 5, 8, 6, 10] }",
            [link("regression-1"), link("perf-testing", "FF", 1)],
            "qa",
        )
    )
    out.append(
        task(
            "bug-bash",
            "Company bug bash",
            "{ uniform = [2, 3] }",
            [link("regression-2", "SS", 1), link("regression-2", "FF")],
            "qa",
        )
    )
    out.append(
        milestone(
            "rc1",
            "Release candidate 1",
            [link("regression-2"), link("bug-bash"), link("pen-test-fixes")],
            "2027-08-27",
            "Code freeze: the build that goes to beta",
        )
    )
    out.append("# --- Beta ---------------------------------------------------------------------\n")
    out.append(
        task(
            "beta-deploy",
            "Deploy RC1 to the beta environment",
            "{ triangular = [1, 1, 3] }",
            [link("rc1")],
            "release",
        )
    )
    out.append(
        task(
            "ios-review",
            "App Store review",
            "{ discrete = { values = [1, 2, 3, 7], weights = [0.45, 0.3, 0.15, 0.1] } }",
            [link("rc1")],
            "mobile",
            "sometimes a rejection costs a week",
        )
    )
    out.append(
        task(
            "android-review",
            "Play Store review",
            "{ discrete = { values = [1, 2, 4], weights = [0.6, 0.3, 0.1] } }",
            [link("rc1")],
            "mobile",
        )
    )
    out.append(
        milestone(
            "beta",
            "Public beta",
            [link("beta-deploy"), link("ios-review"), link("android-review")],
            "2027-09-03",
            "Customers in the beta programme get the release",
        )
    )
    out.append(
        task(
            "beta-program",
            "Beta programme",
            "{ normal = { mean = 15, sd = 3 } }",
            [link("beta", "FS", 2)],
            "program",
            "two days' lag to onboard testers",
        )
    )
    out.append(
        task(
            "beta-fixes",
            "Beta feedback fixes",
            "{ lognormal = { mean = 8, sd = 4 } }",
            [link("beta-program", "SS", 5), link("beta-program", "FF", 2)],
            "program",
        )
    )
    out.append(
        task(
            "docs",
            "Release notes and help centre",
            "{ pert = [4, 6, 10] }",
            [link("beta"), link("beta-fixes", "FF")],
            "docs",
        )
    )
    out.append(
        task(
            "support-training",
            "Support team training",
            "{ triangular = [2, 3, 5] }",
            [link("docs", "SS", 2), link("docs", "FF")],
            "support",
        )
    )
    out.append(
        task(
            "rc-final",
            "Final release candidate",
            "{ pert = [1, 2, 5] }",
            [link("beta-fixes")],
            "release",
        )
    )
    out.append(
        task(
            "rollout-10",
            "Staged rollout to 10% of customers",
            "{ pert = [2, 3, 6] }",
            [link("rc-final"), link("support-training"), link("incident-runbooks")],
            "release",
        )
    )
    out.append(
        task(
            "rollout-100",
            "Rollout to all customers",
            "{ uniform = [3, 5] }",
            [link("rollout-10", "FS", 2)],
            "release",
            "two days' soak at 10%",
        )
    )
    out.append(
        task(
            "legacy-api-support",
            "Keep legacy API v1 running",
            "{ pert = [20, 25, 30] }",
            [link("release-branch", "SS"), link("rollout-10", "SF", 10)],
            "api",
            "SF: v1 may only stop 10 days after the rollout starts",
        )
    )
    out.append(
        milestone(
            "ga",
            "General availability",
            [link("rollout-100"), link("docs"), link("legacy-api-support")],
            "2027-10-15",
            "Everyone has the release",
        )
    )
    return "\n".join(out)


HEADER = """# Platform release 2027.3: a software release across seven teams.
#
# GENERATED by models/generate_platform_release.py (fixed seed); edit the script, not this file.
#
# Seven teams (platform, identity, billing, API, web, mobile, data) each work through their
# features one after another: design -> build -> code review and tests. Features hand work to
# other teams (SSO screens need the MFA build, push notifications need half of the webhooks
# build, billing needs the event pipeline). Then a shared stabilisation phase (integration,
# regression cycles, a contracted penetration test), a public beta, and a staged rollout.
#
# Link types: FS (default), SS with lags (reviews start 4 days into the build), FF (reviews
# finish 2 days after the build), SF (legacy API v1 may only stop 10 days after the rollout
# starts), and a lead (the platform team's first build starts 3 days before its design is
# signed off).
# Estimates: pert (standard and modified, lambda = 3), triangular, beta, uniform, lognormal
# (p10/p90 and mean/sd), normal (truncated), exponential, discrete, empirical and one fixed.
#
# Run it:  riskcast run models/platform-release.toml --seed 7 --out out/platform

[project]
name = "Platform release 2027.3"
start = 2027-02-01
calendar = "company"

[calendars.company]
workdays = ["mon", "tue", "wed", "thu", "fri"]
# US company holidays 2027, plus the summer shutdown week
holidays = [2027-02-15, 2027-05-31, 2027-06-18, 2027-07-05, 2027-07-06, 2027-07-07, 2027-07-08,
            2027-07-09, 2027-09-06, 2027-10-11, 2027-11-11, 2027-11-25, 2027-11-26, 2027-12-24]
"""

if __name__ == "__main__":
    print(main())
