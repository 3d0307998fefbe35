"""The «Оцените ответ» forms: the score on a five-point scale and an optional comment."""

from django import forms

from kabinet.appeals.ratings import SCORES

SCORE_CHOICES = [(score, f"{score} — {label}") for score, label in SCORES.items()]


class ScoreForm(forms.Form):
    score = forms.TypedChoiceField(
        label="Оценка",
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Выберите оценку.", "invalid_choice": "Выберите оценку от 1 до 5."},
    )


class RatingForm(ScoreForm):
    comment = forms.CharField(
        label="Комментарий (необязательно)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Комментарий не длиннее 2000 знаков."},
    )


class GrantedRatingForm(RatingForm):
    """The «thank you» page's form: the signed grant names the rating it may change."""

    grant = forms.CharField(widget=forms.HiddenInput)
