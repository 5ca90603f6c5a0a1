"""Choice labels read from a table built once per field.

Django's get_FOO_display builds a dict of the field's choices on every call, hashing each label on the way,
and a lazy label's hash translates it: a page listing 50 projects with their stage, category and review
status translated every label of those fields 150 times (about 1,200 translations, 10–15% of the library
list's time). ChoiceLabels keeps the table of each field's choices (the labels still lazy) and translates
only the label asked for, in the language active at the call, as Django does.
"""

from django.utils.encoding import force_str


class ChoiceLabels:
    """Put before models.Model in a model's bases: its get_FOO_display methods read a table per field."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            labels = field.__dict__["_choice_labels"]
        except KeyError:
            labels = field.__dict__.setdefault("_choice_labels", dict(field.flatchoices))
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value: Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
