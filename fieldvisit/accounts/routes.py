"""Login, logout, password, language; the admin's user pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from fieldvisit.accounts import forms, queries
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.accounts.queries import NewUser
from fieldvisit.errors import RuleViolation, TooManyRequests
from fieldvisit.regions import queries as regions
from fieldvisit.web.auth import (
    SettingsDep,
    UserDep,
    admin_only,
    cleared_session_cookie,
    language_cookie,
    session_cookie,
)
from fieldvisit.web.forms import Errors, read_form
from fieldvisit.web.i18n import _
from fieldvisit.web.render import form_errors, page, safe_next, see_other
from fieldvisit.web.security import client_address

Req = Request[Any, Any, Any]
NextParam = Annotated[str | None, QueryParameter(name="next", required=False)]


class AuthController(Controller):
    @get("/login", name="accounts:login", opt={"public": True})
    async def login_page(self, request: Req, next_path: NextParam = None) -> Template | Redirect:
        if request.scope.get("user"):
            return see_other(safe_next(next_path))
        return page(request, "accounts/login.html", values={"next": next_path or ""}, errors=Errors())

    @post("/login", name="accounts:login-submit", opt={"public": True})
    async def login(self, request: Req, settings: SettingsDep) -> Template | Redirect:
        form = await read_form(request)
        data, errors = forms.parse_login(form)
        values = {"email": data.email, "next": data.next}
        if errors:
            return form_errors(request, "accounts/login.html", values=values, errors=errors)
        old: CurrentUser | None = request.scope.get("user")
        try:
            result = await queries.login(
                data.email, data.password, ip=client_address(request, settings),
                user_agent=request.headers.get("user-agent", ""), now=datetime.now(UTC),
                settings=settings, old_session_id=old.session_id if old else None,
            )
        except TooManyRequests as exc:
            return page(request, "accounts/login.html", status_code=429, values=values,
                        errors=Errors(email=exc.message), headers={"Retry-After": str(exc.retry_after)})
        except RuleViolation as exc:
            return form_errors(request, "accounts/login.html", values=values, errors=Errors(email=exc.message))
        target = "/account/password" if result.must_change_password else safe_next(data.next)
        response = see_other(target)
        response.cookies.append(session_cookie(result.token, settings))
        return response

    @post("/logout", name="accounts:logout")
    async def logout(self, request: Req, user: UserDep, settings: SettingsDep) -> Redirect:
        await queries.logout(user)
        response = see_other("/login", bye=1)
        response.cookies.append(cleared_session_cookie(settings))
        return response

    @post("/language", name="accounts:language", opt={"public": True})
    async def language(self, request: Req, settings: SettingsDep) -> Redirect:
        form = await read_form(request)
        choice = form.get("language") if form.get("language") in ("id", "en") else "id"
        user: UserDep | None = request.scope.get("user")
        if user:
            await queries.set_language(user, choice)
        response = see_other(safe_next(form.get("next")))
        response.cookies.append(language_cookie(choice, settings))
        return response


class AccountController(Controller):
    path = "/account"

    @get("/password", name="accounts:password")
    async def password_page(self, request: Req, user: UserDep) -> Template:
        return page(request, "accounts/password.html", errors=Errors(), forced=user.must_change_password)

    @post("/password", name="accounts:password-submit")
    async def change_password(self, request: Req, user: UserDep) -> Template | Redirect:
        form = await read_form(request)
        data, errors = forms.parse_password_change(form, email=user.email)
        if not errors:
            try:
                await queries.change_password(user, data.current, data.new)
            except RuleViolation as exc:
                errors.add("current", exc.message)
        if errors:
            return form_errors(request, "accounts/password.html", errors=errors, forced=user.must_change_password)
        return see_other("/", changed="password")


class AdminUsersController(Controller):
    path = "/admin/users"
    guards = [admin_only]

    @get("/", name="accounts:users")
    async def users(self, request: Req, user: UserDep, q: FromQuery[str] = "", role: FromQuery[str] = "") -> Template:
        rows = await queries.list_users(user, search=q.strip(), role=role)
        return page(request, "accounts/users.html", block="results", users=rows, q=q, role=role, roles=list(Role))

    @get("/new", name="accounts:user-new")
    async def new_user_page(self, request: Req) -> Template:
        return page(request, "accounts/user_form.html", values={"is_active": True}, errors=Errors(),
                    roles=list(Role), districts=await regions.districts(), editing=None)

    @post("/new", name="accounts:user-create")
    async def create_user(self, request: Req, user: UserDep, settings: SettingsDep) -> Template:
        form = await read_form(request)
        data, errors = forms.parse_user(form)
        district_id = await self._district(data.district_code, errors)
        if not errors and await queries.email_taken(data.email):
            errors.add("email", _("A user with this email already exists."))
        if errors or data.role is None:
            return form_errors(request, "accounts/user_form.html", values=form.values, errors=errors,
                               roles=list(Role), districts=await regions.districts(), editing=None)
        [(new_id, password)] = await queries.create_users(
            user, [NewUser(data.email, data.name, data.role, district_id)], ip=client_address(request, settings))
        return page(request, "accounts/password_issued.html", email=data.email, password=password, user_id=new_id)

    @get("/import", name="accounts:users-import")
    async def import_page(self, request: Req) -> Template:
        return page(request, "accounts/users_import.html", problems=[], created=[])

    @post("/import", name="accounts:users-import-submit", request_max_body_size=2 * 1024 * 1024)
    async def import_users(self, request: Req, user: UserDep, settings: SettingsDep) -> Template:
        form = await read_form(request)
        upload = form.file("file")
        if upload is None:
            return form_errors(request, "accounts/users_import.html", problems=[_("Choose a CSV file.")], created=[])
        rows, problems = forms.parse_users_csv(await upload.read())
        new_users: list[NewUser] = []
        for row in rows:
            district_id = None
            if row.district_code:
                district_id = await queries.district_id_for_code(row.district_code)
                if district_id is None:
                    problems.append(_("Row %(line)d: kab/kota %(code)s is not in the region list.")
                                    % {"line": row.line, "code": row.district_code})
            if await queries.email_taken(row.email):
                problems.append(_("Row %(line)d: %(email)s already has an account.")
                                % {"line": row.line, "email": row.email})
            new_users.append(NewUser(row.email, row.name, row.role, district_id, row.language))
        if problems:
            return form_errors(request, "accounts/users_import.html", problems=problems, created=[])
        created = await queries.create_users(user, new_users, ip=client_address(request, settings))
        issued = [(u.email, u.name, pw) for u, (_id, pw) in zip(new_users, created, strict=True)]
        return page(request, "accounts/users_import.html", problems=[], created=issued)

    @get("/{user_id:int}", name="accounts:user-edit")
    async def edit_page(self, request: Req, user: UserDep, user_id: FromPath[int]) -> Template:
        target = await queries.get_user_for_admin(user, user_id)
        values = {**target, "district": target["district_code"] or ""}
        return page(request, "accounts/user_form.html", values=values, errors=Errors(), roles=list(Role),
                    districts=await regions.districts(), editing=target)

    @post("/{user_id:int}", name="accounts:user-update")
    async def update_user(self, request: Req, user: UserDep, user_id: FromPath[int], settings: SettingsDep) -> Template | Redirect:
        target = await queries.get_user_for_admin(user, user_id)
        form = await read_form(request)
        data, errors = forms.parse_user(form, editing=True)
        district_id = await self._district(data.district_code, errors)
        if not errors and data.role is not None:
            try:
                await queries.update_user(user, user_id, name=data.name, role=data.role, district_id=district_id,
                                          is_active=data.is_active, ip=client_address(request, settings))
                return see_other(f"/admin/users/{user_id}", saved=1)
            except RuleViolation as exc:
                errors.add("role", exc.message)
        return form_errors(request, "accounts/user_form.html", values={**target, **form.values}, errors=errors,
                           roles=list(Role), districts=await regions.districts(), editing=target)

    @post("/{user_id:int}/reset-password", name="accounts:user-reset")
    async def reset(self, request: Req, user: UserDep, user_id: FromPath[int], settings: SettingsDep) -> Template:
        target = await queries.get_user_for_admin(user, user_id)
        password = await queries.reset_password(user, user_id, ip=client_address(request, settings))
        return page(request, "accounts/password_issued.html", email=target["email"], password=password,
                    user_id=user_id)

    @staticmethod
    async def _district(code: str, errors: Errors) -> int | None:
        if not code:
            return None
        district_id = await queries.district_id_for_code(code)
        if district_id is None:
            errors.add("district", _("Kab/kota %(code)s is not in the region list.") % {"code": code})
        return district_id
