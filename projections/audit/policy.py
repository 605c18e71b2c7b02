"""Trust policies (c2sp.org/tlog-policy): which log keys, which witnesses, and the quorum.

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <member>...
    quorum <name>|none

A checkpoint is valid under the policy when a listed log key signed it and the quorum of
witnesses cosigned it. Witness URLs are their submission prefixes (tlog-witness): the log
sends new checkpoints there. Pure: no database, no domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from projections.audit.note import COSIGNATURE_V1, ED25519, NoteError, NoteVerifier, parse_vkey


class PolicyError(ValueError):
    """The policy file is not well-formed; the message names the line."""


@dataclass(frozen=True)
class Witness:
    name: str
    verifier: NoteVerifier
    url: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass
class Policy:
    logs: list[tuple[NoteVerifier, str | None]] = field(default_factory=list)
    witnesses: dict[str, Witness] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = "none"
    source: str = "policy"

    def log_keys(self, origin: str | None = None) -> list[NoteVerifier]:
        """The log keys; with an origin, those whose key name is that origin."""
        return [v for v, _ in self.logs if origin is None or v.name == origin]

    def satisfied(self, cosigned: Iterable[str]) -> bool:
        """Whether witnesses of these names make the quorum."""
        done = set(cosigned)
        return self._met(self.quorum, done)

    def _met(self, name: str, done: set[str]) -> bool:
        if name == "none":
            return True
        if name in self.witnesses:
            return name in done
        group = self.groups[name]
        return sum(self._met(m, done) for m in group.members) >= group.threshold

    def describe_quorum(self) -> str:
        if self.quorum == "none":
            return "no witness"
        if self.quorum in self.witnesses:
            return f"witness {self.quorum}"
        group = self.groups[self.quorum]
        return f"{group.threshold} of {', '.join(group.members)}"

    def text(self) -> str:
        lines = [f"log {v.vkey}" + (f" {u}" if u else "") for v, u in self.logs]
        lines += [
            f"witness {w.name} {w.verifier.vkey}" + (f" {w.url}" if w.url else "")
            for w in self.witnesses.values()
        ]
        lines += [
            f"group {g.name} {g.threshold} {' '.join(g.members)}" for g in self.groups.values()
        ]
        lines.append(f"quorum {self.quorum}")
        return "".join(line + "\n" for line in lines)


def parse_policy(data: bytes | str, source: str = "policy") -> Policy:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    bad = next((b for b in raw if (b < 0x20 and b not in (0x09, 0x0A)) or b == 0x7F), None)
    if bad is not None:
        at = raw[: raw.index(bad)].count(b"\n") + 1
        raise PolicyError(f"{source} line {at}: control character 0x{bad:02x}")
    text = raw.decode("utf-8", errors="surrogateescape")
    policy = Policy(source=source)
    names: set[str] = {"none"}
    keys: set[bytes] = set()
    quorum_seen = False
    for number, line in enumerate(text.split("\n"), start=1):
        words = line.replace("\t", " ").split()
        if not words or words[0].startswith("#"):
            continue
        where = f"{source} line {number}"
        try:
            keyword, args = words[0], words[1:]
            if keyword == "log":
                if len(args) not in (1, 2):
                    raise PolicyError("a log line is 'log <vkey> [<url>]'")
                verifier = parse_vkey(args[0])
                if verifier.kind != ED25519:
                    raise PolicyError("a log key has signature type 0x01 (Ed25519)")
                if verifier.public in keys:
                    raise PolicyError("this key is listed twice")
                keys.add(verifier.public)
                policy.logs.append((verifier, args[1] if len(args) == 2 else None))
            elif keyword == "witness":
                if len(args) not in (2, 3):
                    raise PolicyError("a witness line is 'witness <name> <vkey> [<url>]'")
                name, verifier = args[0], parse_vkey(args[1])
                if name in names:
                    raise PolicyError(f"the name {name!r} is already defined")
                if verifier.kind != COSIGNATURE_V1:
                    raise PolicyError("a witness key has signature type 0x04 (cosignature/v1)")
                if verifier.public in keys:
                    raise PolicyError("this key is listed twice")
                keys.add(verifier.public)
                names.add(name)
                url = args[2].rstrip("/") if len(args) == 3 else None
                policy.witnesses[name] = Witness(name, verifier, url)
            elif keyword == "group":
                policy.groups[args[0] if args else ""] = _group(args, names, policy)
                names.add(args[0])
            elif keyword == "quorum":
                if quorum_seen:
                    raise PolicyError("a policy has exactly one quorum line")
                if len(args) != 1 or args[0] not in names:
                    raise PolicyError("the quorum names 'none' or a witness or group defined above")
                policy.quorum = args[0]
                quorum_seen = True
            else:
                raise PolicyError(f"unknown keyword {keyword!r}")
        except (PolicyError, NoteError) as exc:
            raise PolicyError(f"{where}: {exc}") from None
    if not quorum_seen:
        raise PolicyError(f"{source}: a policy has exactly one quorum line (none found)")
    return policy


def _group(args: list[str], names: set[str], policy: Policy) -> Group:
    if len(args) < 3:
        raise PolicyError("a group line is 'group <name> all|any|<k> <member>...'")
    name, size, members = args[0], args[1], tuple(args[2:])
    if name in names:
        raise PolicyError(f"the name {name!r} is already defined")
    for member in members:
        if member == "none" or member not in names:
            raise PolicyError(f"the member {member!r} is not a witness or group defined above")
    if len(set(members)) != len(members):
        raise PolicyError("a group lists each member once")
    if size == "all":
        threshold = len(members)
    elif size == "any":
        threshold = 1
    elif size.isdigit() and not size.startswith("0") and 1 <= int(size) <= len(members):
        threshold = int(size)
    else:
        raise PolicyError(f"the threshold is all, any or 1..{len(members)}: {size!r}")
    return Group(name, threshold, members)


def load_policy(path: Path) -> Policy:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read the policy {path}: {exc.strerror}") from None
    return parse_policy(data, str(path))
