"""WTForms for the pages, rendered with govuk-frontend-wtf widgets.

Forms check shapes (required, numbers, lengths); the domain (`parse_statement`, the geo
placer) checks meaning, and its problems are attached back to the fields by
`attach_problems`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from planning_sv.core.errors import Problem
from planning_sv.core.figures import parse_number
from planning_sv.core.statement import USE_CLASS_LABELS, USE_CLASSES
from planning_sv.core.workflow import Role
from planning_sv.store.users import MAX_PASSWORD, MIN_PASSWORD

# Larger numbers are typing mistakes or attacks, and would not survive a float or JSON.
MAX_NUMBER = 10**15


def select_choices(options: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Options for a SelectField or RadioField as wtforms 3.3 wants them (tuples are deprecated)."""
    pairs = options.items() if isinstance(options, Mapping) else options
    return [SelectChoice(value, label) for value, label in pairs]


def _noun(field: Any) -> str:
    """What a field's errors call it: its `noun`, else its label without '(optional)' or a
    trailing unit phrase, so 'Build cost in pounds' reads 'Build cost must be a number'."""
    noun = getattr(field, "noun", None)
    if noun:
        return str(noun)
    text = str(getattr(getattr(field, "label", None), "text", "") or "")
    text = text.replace("(optional)", "").strip().rstrip("?")
    return text or "This"


class _TypedNumber:
    """A number field's `noun` (what its errors call it, see `_noun`) and `example` (the
    form its errors show, e.g. '1,200'). Mixed in before a DecimalField or IntegerField."""

    default_example = "1,200"

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        *,
        noun: str | None = None,
        example: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.noun = noun
        self.example = self.default_example if example is None else example


class FiniteDecimalField(_TypedNumber, DecimalField):
    """A number typed as people write it, read by core/figures.py `parse_number` ("1,200",
    "45 000 000", "£45,000,000"): NaN, Infinity, non-ASCII digits and absurd magnitudes
    become an error that names the field, never a 500 ('nan' parses as a Decimal, and
    comparing it raises)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        value = parse_number(valuelist[0])
        if value is None:
            self.data = None
            raise ValueError(f"{_noun(self)} must be a number, like {self.example}")
        if abs(value) > MAX_NUMBER:
            self.data = None
            raise ValueError(f"{_noun(self)} must be less than 1,000,000,000,000,000")
        self.data = Decimal(repr(value))

    def _value(self) -> str:
        # As typed when the form is shown again with errors; else the saved figure with its
        # thousands grouped and no padding (WTForms would show 8000.0 as '8000.00').
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        value = float(self.data)
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.10f}".rstrip("0").rstrip(".")


class WholeNumberField(_TypedNumber, IntegerField):
    """A whole number typed as people write it ("1,200"), read by `parse_number`; at most
    MAX_NUMBER, so the NumberRange validators see a sane int or none at all, and every
    error names the field."""

    default_example = "12"

    def process_data(self, value: Any) -> None:
        # Stored values (a draft, an uploaded statement) are shown as they are; WTForms'
        # own check would say "Not a valid integer value." with no field named.
        if value is None or isinstance(value, bool):
            self.data = None
        elif isinstance(value, int):
            self.data = value
        elif isinstance(value, float) and value.is_integer():
            self.data = int(value)
        else:
            self.data = None

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        value = parse_number(valuelist[0])
        if value is None or not value.is_integer() or abs(value) > MAX_NUMBER:
            self.data = None
            raise ValueError(f"{_noun(self)} must be a whole number, like {self.example}")
        self.data = int(value)


class _OfferedChoice:
    """Refuses a value the field does not offer with `invalid`, a message that says what to
    do and names the field (WTForms says 'Not a valid choice.'). Mixed in before a
    RadioField or SelectField."""

    def __init__(
        self, label: str | None = None, validators: Any = None, *, invalid: str, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form: Any) -> None:
        if self.data in (None, ""):
            return  # InputRequired says what is missing
        if self.data not in {choice[0] for choice in self.iter_choices()}:
            raise ValidationError(self.invalid)


class RadioChoiceField(_OfferedChoice, RadioField):
    """Radios whose refusal of a value they do not offer names the question."""


class ChoiceField(_OfferedChoice, SelectField):
    """A select whose refusal of a value it does not offer says what to do and names the
    field."""


# Shape only; store.users.password_problems also refuses common passwords (every place a
# password is set goes through it).
_NEW_PASSWORD = [
    InputRequired(message="Enter a password"),
    Length(min=MIN_PASSWORD, message=f"Password must be at least {MIN_PASSWORD} characters"),
    Length(max=MAX_PASSWORD, message=f"Password must be {MAX_PASSWORD} characters or fewer"),
]


_EMAIL_VALIDATORS = [
    InputRequired(message="Enter your email address"),
    # A shape check only: the address is proven by use, and this avoids a dependency.
    Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        message="Enter an email address in the correct format, like name@example.com",
    ),
    Length(max=254),
]


def _confirm_password_field(label: str) -> PasswordField:
    """The second typing of a new password, which must equal the form's `password`."""
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        validators=[EqualTo("password", message="Passwords must match")],
    )


def _current_password_field() -> PasswordField:
    """The password the signed-in user has now, asked again before a change to the account."""
    return PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password"), Length(max=200)],
    )


class RegisterForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(), validators=_EMAIL_VALIDATORS)
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        validators=_NEW_PASSWORD,
    )
    confirm = _confirm_password_field("Confirm password")
    submit = SubmitField("Create account", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = _current_password_field()
    password = PasswordField("New password", widget=GovPasswordInput(), validators=_NEW_PASSWORD)
    confirm = _confirm_password_field("Confirm new password")
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(), validators=_EMAIL_VALIDATORS)
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(), validators=_NEW_PASSWORD)
    confirm = _confirm_password_field("Confirm new password")
    submit = SubmitField("Set password", widget=GovSubmitInput())


class ChangeEmailForm(FlaskForm):
    email = StringField("New email address", widget=GovTextInput(), validators=_EMAIL_VALIDATORS)
    current_password = _current_password_field()
    submit = SubmitField("Send a confirmation link", widget=GovSubmitInput())


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=200)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class TokenForm(FlaskForm):
    label = StringField(
        "Name for this token (optional)",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    submit = SubmitField("Create API token", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A bare form: a button with a CSRF token (revoke, submit, remove)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why are you withdrawing this statement?",
        widget=GovTextArea(),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message="Enter why you are withdrawing the statement"),
            Length(max=2000, message="Reason must be 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Withdraw statement", widget=GovSubmitInput())


def _application_reference_field() -> StringField:
    return StringField(
        "Planning application reference (optional)",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )


class StartForm(FlaskForm):
    council = RadioChoiceField(
        "Which council is the planning application for?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the council")],
        invalid="Select the council from the list",
    )
    application_reference = _application_reference_field()
    submit = SubmitField("Continue", widget=GovSubmitInput())


def _nonnegative(label: str) -> list:
    return [Optional(), NumberRange(min=0, message=f"{label} must be 0 or more")]


class DevelopmentForm(FlaskForm):
    application_reference = _application_reference_field()
    dwellings = WholeNumberField(
        "Number of homes",
        widget=GovTextInput(),
        example="120",
        validators=[
            Optional(),
            NumberRange(
                min=0, max=1_000_000, message="Number of homes must be between 0 and 1,000,000"
            ),
        ],
    )
    build_cost_gbp = FiniteDecimalField(
        "Build cost in pounds",
        widget=GovTextInput(),
        noun="Build cost",
        example="45,000,000",
        validators=[
            InputRequired(message="Enter the build cost in pounds"),
            NumberRange(min=0, message="Build cost must be 0 or more"),
        ],
    )
    dwellings_not_known = BooleanField(
        "The number of homes is not known yet (an outline application)",
        widget=GovCheckboxInput(),
    )
    site_area_ha = FiniteDecimalField(
        "Site area in hectares (optional)",
        widget=GovTextInput(),
        noun="Site area",
        example="1.5",
        validators=[Optional(), NumberRange(min=0, message="Site area must be 0 or more")],
    )
    validation_date = StringField(
        "Date the council validated the planning application (optional)",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=40)],
    )
    construction_months = WholeNumberField(
        "Construction period in months (optional)",
        widget=GovTextInput(),
        noun="Construction period",
        example="30",
        validators=[
            Optional(),
            NumberRange(
                min=0, max=600, message="Construction period must be between 0 and 600 months"
            ),
        ],
    )
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


# One floorspace field per use class, added to the form class so WTForms binds them.
for _use in USE_CLASSES:
    setattr(
        DevelopmentForm,
        f"floorspace_{_use}",
        FiniteDecimalField(
            f"{USE_CLASS_LABELS[_use]} floorspace (square metres)",
            widget=GovTextInput(),
            noun=f"{USE_CLASS_LABELS[_use]} floorspace",
            example="8,000",
            validators=_nonnegative(f"{USE_CLASS_LABELS[_use]} floorspace"),
        ),
    )


class SiteForm(FlaskForm):
    address = StringField(
        "Site address (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=200)]
    )
    method = RadioChoiceField(
        "How do you want to give the site's location?",
        invalid="Select how you want to give the site's location",
        widget=GovRadioInput(),
        choices=select_choices(
            {
                "postcode": "Postcode",
                "point": "Longitude and latitude of a point",
                "geojson": "Upload the red-line boundary as GeoJSON",
            }
        ),
        validators=[InputRequired(message="Select how you want to give the site's location")],
    )
    postcode = StringField(
        "Postcode", widget=GovTextInput(), validators=[Optional(), Length(max=10)]
    )
    longitude = FiniteDecimalField(
        "Longitude", widget=GovTextInput(), validators=[Optional()], example="-0.1170"
    )
    latitude = FiniteDecimalField(
        "Latitude", widget=GovTextInput(), validators=[Optional()], example="51.5530"
    )
    geojson = FileField("GeoJSON file", widget=GovFileInput())
    # Choices from the council's plan (`designations`); left out when it defines none.
    designation = RadioChoiceField(
        "Which of these areas is the site in?",
        widget=GovRadioInput(),
        validators=[Optional()],
        invalid="Select the area the site is in from the list",
    )
    submit = SubmitField("Save and continue", widget=GovSubmitInput())

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        # Conditional fields are checked here: an Optional() validator would stop the
        # field's own chain before a `validate_<field>` method could require it.
        valid = super().validate(extra_validators)
        if self.method.data == "postcode":
            _require_text(self.postcode, "Enter the site's postcode")
        if self.method.data == "point":
            _require_point(self.longitude, self.latitude)
        return valid and not self.errors


def _require_text(field: StringField, message: str) -> None:
    if not (field.data or "").strip():
        field.errors = [*field.errors, message]


def _require_point(longitude: DecimalField, latitude: DecimalField) -> None:
    _require_coordinate(longitude, "longitude", 180, "-0.1170")
    _require_coordinate(latitude, "latitude", 90, "51.5530")


def _require_coordinate(field: DecimalField, name: str, limit: int, example: str) -> None:
    if field.errors:
        return
    if field.data is None:
        field.errors = [f"Enter the {name}, like {example}"]
    elif not -limit <= field.data <= limit:
        field.errors = [f"{name.capitalize()} must be between -{limit} and {limit}"]


WHERE_CHOICES = select_choices(
    {
        "borough": "Anywhere in the council's area",
        "site": "On the site",  # placed in the site's ward(s), exactly as the site
        "postcode": "At a postcode",
        "ward": "In a ward (GSS code)",
        "point": "At a point (longitude, latitude)",
    }
)


class CommitmentForm(FlaskForm):
    measure = ChoiceField(
        "What will you provide?",
        widget=GovSelect(),
        validators=[InputRequired(message="Select what you will provide")],
        invalid="Select what you will provide from the list",
    )
    quantity = FiniteDecimalField(
        "Quantity",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the quantity as a number"),
            NumberRange(min=0, message="Quantity must be 0 or more"),
        ],
    )
    unit = ChoiceField(
        "Unit",
        widget=GovSelect(),
        validators=[InputRequired(message="Select the unit")],
        invalid="Select a unit from the list",
    )
    phase = ChoiceField(
        "Phase (optional)",
        widget=GovSelect(),
        invalid="Select the phase from the list",
        choices=select_choices(
            {
                "": "Not given",
                "construction": "Construction",
                "end_use": "End use",
                "operation": "Operation",
            }
        ),
        validators=[Optional()],
    )
    where = RadioChoiceField(
        "Where will it be delivered?",
        widget=GovRadioInput(),
        invalid="Select where it will be delivered from the list",
        choices=WHERE_CHOICES,
        validators=[InputRequired(message="Select where it will be delivered")],
    )
    where_postcode = StringField(
        "Postcode", widget=GovTextInput(), validators=[Optional(), Length(max=10)]
    )
    where_ward = StringField(
        "Ward code",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(r"^[EWSN]\d{8}$", message="Enter a ward code like E05013706"),
        ],
    )
    where_longitude = FiniteDecimalField(
        "Longitude", widget=GovTextInput(), validators=[Optional()], example="-0.1170"
    )
    where_latitude = FiniteDecimalField(
        "Latitude", widget=GovTextInput(), validators=[Optional()], example="51.5530"
    )
    description = TextAreaField(
        "Description (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=5000)]
    )
    submit = SubmitField("Save commitment", widget=GovSubmitInput())

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        valid = super().validate(extra_validators)
        where = self.where.data
        if where == "postcode":
            _require_text(self.where_postcode, "Enter the postcode where it will be delivered")
        if where == "ward":
            _require_text(self.where_ward, "Enter the ward code")
        if where == "point":
            _require_point(self.where_longitude, self.where_latitude)
        return valid and not self.errors


class SubmitForm(FlaskForm):
    """Check your answers: the declaration the applicant makes before submitting."""

    declaration = BooleanField(
        "I confirm that the information in this statement is correct to the best of my "
        "knowledge, and that the council may rely on it when deciding the planning application",
        widget=GovCheckboxInput(),
        validators=[
            DataRequired(
                message="Confirm that the information in this statement is correct, to submit it"
            )
        ],
    )
    submit = SubmitField("Accept and submit statement", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField(
        "Upload a file", widget=GovFileInput(), validators=[FileRequired(message="Select a file")]
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        widget=GovSelect(),
        choices=select_choices((r.value, r.value.replace("_", " ")) for r in Role),
    )
    council = SelectField("Council", widget=GovSelect(), validators=[Optional()])
    # Left out of the page (and of the POST) when the admin may not change it; then the
    # account's current state is kept.
    active = RadioField(
        "Can this account sign in?",
        widget=GovRadioInput(),
        choices=select_choices({"yes": "Yes, active", "no": "No, disabled"}),
        validators=[Optional()],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class ValueSetImportForm(FlaskForm):
    council = SelectField(
        "Council", widget=GovSelect(), validators=[InputRequired(message="Select the council")]
    )
    name = StringField(
        "Name of the value set",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter a name for the value set"), Length(max=120)],
    )
    licence = StringField(
        "Licence the council holds the values under",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the licence the council holds the values under"),
            Length(max=200),
        ],
    )
    target_price_year = WholeNumberField(
        "Uprate to price year (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1990, max=2100, message="Price year must be between 1990 and 2100"),
        ],
    )
    file = FileField(
        "CSV file", widget=GovFileInput(), validators=[FileRequired(message="Select a CSV file")]
    )
    use_it = RadioField(
        "Use this set for the council's assessments now?",
        widget=GovRadioInput(),
        choices=select_choices({"yes": "Yes", "no": "No, only store it"}),
        default="no",
        validators=[InputRequired(message="Select whether to use the set now")],
    )
    submit = SubmitField("Import value set", widget=GovSubmitInput())


class ValueSetChoiceForm(FlaskForm):
    value_set = RadioField(
        "Which value set should this council's assessments use?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the value set to use")],
    )
    submit = SubmitField("Use this value set", widget=GovSubmitInput())


def attach_problems(
    form: FlaskForm, problems: Iterable[Problem], field_for_path: Mapping[str, str]
) -> list[Problem]:
    """Put domain problems on the form fields their JSON paths map to.

    `field_for_path` maps a JSON path prefix ('$.site.postcode') to a field name. Returns the
    problems no field claimed, for the error summary.
    """
    unclaimed = []
    for item in problems:
        name = next(
            (field for prefix, field in field_for_path.items() if item.path.startswith(prefix)),
            None,
        )
        field = getattr(form, name, None) if name else None
        if field is None:
            unclaimed.append(item)
            continue
        field.errors = [*list(field.errors or []), item.message]
    return unclaimed
