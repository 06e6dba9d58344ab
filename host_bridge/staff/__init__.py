"""Named staff accounts (issue 13): passwords, sessions, lockout and the audit log of staff
actions, kept in the site's own `<queue db>.staff.db` beside the queue's file.

Machines keep the config's tokens (kiosk, hall screen, the boards' bridge); people sign in with
a login and a password and get a session token that every staff route takes as a Bearer token.
"""
from .accounts import ROLES, Account, AccountRefused
from .directory import SignInRefused, StaffDirectory, staff_path

__all__ = ["ROLES", "Account", "AccountRefused", "SignInRefused", "StaffDirectory", "staff_path"]
