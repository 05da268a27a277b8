"""Who a principal is, in roles: a role name, a set of roles, or a team member's contact.

Roles are held through teams (``Role.spec.teams``) and inheritance (``Role.spec.inherits``); the
transitive closure is computed once, so resolving a principal at decision time is one dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, TypeAlias

from kpigov.specs.org import Role, Team

#: A role id (``analyst``), a role ref (``role/analyst``), a member contact, or several of them.
Principal: TypeAlias = str | Iterable[str]

_NO_ROLES: Final[frozenset[str]] = frozenset()
_MAX_CACHED_SETS: Final = 4096


class RoleDirectory:
    """Every name a principal can be given, mapped to the closed set of role refs it holds."""

    def __init__(self, roles: Iterable[Role], teams: Iterable[Team]) -> None:
        role_list = list(roles)
        inherits = {role.ref: list(role.spec.inherits) for role in role_list}
        closure = {ref: _closure(ref, inherits) for ref in inherits}
        names: dict[str, frozenset[str]] = {}
        for role in role_list:
            names[role.ref] = names[role.id] = closure[role.ref]
        holders: dict[str, set[str]] = {}
        for role in role_list:
            for team in role.spec.teams:
                holders.setdefault(team, set()).update(closure[role.ref])
        team_list = list(teams)
        for team in team_list:
            for member in team.spec.members:
                names[member.contact] = names.get(member.contact, _NO_ROLES) | frozenset(holders.get(team.ref, ()))
        self._names: Mapping[str, frozenset[str]] = names
        self._contacts = frozenset(m.contact for team in team_list for m in team.spec.members)
        self._sets: dict[frozenset[str], frozenset[str]] = {}

    def resolve(self, principal: Principal) -> frozenset[str]:
        """The role refs ``principal`` holds; unknown names hold none (and so are denied everything)."""
        if isinstance(principal, str):
            return self._names.get(principal, _NO_ROLES)
        key = frozenset(principal)
        found = self._sets.get(key)
        if found is None:
            found = frozenset().union(*(self._names.get(name, _NO_ROLES) for name in key))
            if len(self._sets) >= _MAX_CACHED_SETS:
                self._sets.clear()
            self._sets[key] = found
        return found

    def is_contact(self, name: str) -> bool:
        """Whether ``name`` is a member contact (personal data: masked in the audit trail)."""
        return name in self._contacts


def _closure(ref: str, inherits: Mapping[str, list[str]]) -> frozenset[str]:
    seen = {ref}
    stack = [ref]
    while stack:
        for parent in inherits.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return frozenset(seen)


__all__ = ["Principal", "RoleDirectory"]
