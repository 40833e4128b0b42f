"""An Active Directory look-alike for slapd: just enough schema and data to run the `ad` profile.

slapd cannot be Active Directory. This emulates the parts the `ad` profile relies on:
`user`/`computer`/`group` object classes, `sAMAccountName`, `userPrincipalName`, and
`objectCategory`. In real AD, objectCategory is a DN and the server matches `objectCategory=person`
by class name; here it is a plain string holding `person`, so the same filter works. DNs are
spelled the AD way (`CN=John Doe,OU=Staff,DC=example,DC=com`) while the suffix is lower-case,
which exercises DN comparison across spellings. Range retrieval (`member;range=...`) is not
emulated: slapd returns whole attributes; the range loop is unit-tested on a fake.
"""

from __future__ import annotations

from bot.integrations.directory.file import FileDirectory
from tests.support.slapd import BASE_DN, base_ldif, ldif_entry

_OID = "1.3.6.1.4.1.4203.666.11.99"  # OpenLDAP's experimental arc: test-only definitions
AD_LIKE_SCHEMA = f"""
attributetype ( {_OID}.1.1 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( {_OID}.1.2 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( {_OID}.1.3 NAME 'objectCategory' EQUALITY caseIgnoreMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( {_OID}.2.1 NAME 'user' SUP organizationalPerson STRUCTURAL
  MAY ( sAMAccountName $ userPrincipalName $ objectCategory $ displayName $ givenName $ mail ) )
objectclass ( {_OID}.2.2 NAME 'computer' SUP user STRUCTURAL )
objectclass ( {_OID}.2.3 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ sAMAccountName $ objectCategory $ description $ mail ) )
"""
AD_LIKE_SCHEMAS = ("core", "cosine", "inetorgperson")
AD_LIKE_INDEXES = (
    "objectClass,objectCategory eq",
    "cn,sn,givenName,displayName,mail,sAMAccountName,userPrincipalName eq,sub",
    "member eq",
)
STAFF = "OU=Staff,DC=example,DC=com"
AD_GROUPS = "OU=Groups,DC=example,DC=com"
COMPUTER_DN = f"CN=WS-0042,{STAFF}"


def ad_like_ldif() -> str:
    """The sample company as AD would hold it, plus a workstation that is a member of
    'Field Engineers' (computers are objectClass=user in AD and must not be invited)."""
    sample = FileDirectory.sample()
    dn_of = {user.id: f"CN={user.display_name},{STAFF}" for user in sample.users}
    dn_of |= {group.id: f"CN={group.name},{AD_GROUPS}" for group in sample.groups}
    chunks = [base_ldif(units=("Staff", "Groups"))]
    for user in sample.users:
        attrs = {
            "objectClass": "user",
            "objectCategory": "person",
            "cn": user.display_name,
            "sn": user.last_name or user.display_name,
            "givenName": user.first_name,
            "displayName": user.display_name,
            "sAMAccountName": user.account_name,
            "userPrincipalName": f"{user.account_name}@corp.example.com",
            "mail": user.email,
        }
        chunks.append(ldif_entry(dn_of[user.id], attrs))
    computer = {"objectClass": "computer", "objectCategory": "computer", "cn": "WS-0042", "sn": "WS-0042"}
    chunks.append(ldif_entry(COMPUTER_DN, computer | {"sAMAccountName": "WS-0042$"}))
    for group in sample.groups:
        members = [dn_of[member] for member in sample.direct_members(group.id)]
        if group.id == "field-engineers":
            members.append(COMPUTER_DN)
        attrs = {"objectClass": "group", "objectCategory": "group", "cn": group.name}
        attrs |= {"sAMAccountName": group.name.replace(" ", ""), "description": group.description}
        chunks.append(ldif_entry(dn_of[group.id], attrs | {"member": members}))
    return "".join(chunks)


__all__ = ["AD_LIKE_INDEXES", "AD_LIKE_SCHEMA", "AD_LIKE_SCHEMAS", "BASE_DN", "ad_like_ldif"]
