"""Serializers of the cascade API: they parse requests and document answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from companies.api import TeamRefField
from core.people import display_name
from core.safety import BoundedDateSerializerField

from ...models import CheckIn, Cycle, KeyResult, Objective
from ...selectors import cascade as selectors

# ------------------------------------------------------------------------------------------------- serializers


class CycleSerializer(serializers.ModelSerializer):
    expected_progress = serializers.SerializerMethodField(help_text=_("Share of the cycle elapsed today (0–1)."))

    class Meta:
        model = Cycle
        fields = ["id", "name", "kind", "start_date", "end_date", "parent", "state", "closed_at", "expected_progress"]
        read_only_fields = fields

    def get_expected_progress(self, cycle: Cycle) -> str:
        return str(selectors.expected_progress(cycle=cycle))


class CycleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Cycle.Kind.choices, default=Cycle.Kind.QUARTER)
    start_date = BoundedDateSerializerField()
    end_date = BoundedDateSerializerField()
    parent = serializers.IntegerField(required=False, allow_null=True, help_text=_("Id of the enclosing cycle."))


class CycleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    start_date = BoundedDateSerializerField(required=False, help_text=_("Only while the cycle is in planning."))
    end_date = BoundedDateSerializerField(required=False, help_text=_("Only while the cycle is in planning."))


class CarryOverSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text=_("Id of the cycle (in planning) to copy into."))
    objective_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        help_text=_("Objectives to copy; default: every unfinished objective."),
    )


class ObjectiveSerializer(serializers.ModelSerializer):
    team = TeamRefField(read_only=True, help_text=_("The team owning the objective: id, name and kind, or null."))
    owner_name = serializers.SerializerMethodField()
    updated_by_name = serializers.SerializerMethodField()
    contributes_to = serializers.SerializerMethodField(help_text=_("Ids of the additionally aligned objectives."))

    class Meta:
        model = Objective
        fields = [
            "id",
            "cycle",
            "parent",
            "position",
            "title",
            "description",
            "team",
            "owner",
            "owner_name",
            "state",
            "rollup",
            "contributes_to",
            "version",
            "final_score",
            "carried_from",
            "updated_at",
            "updated_by_name",
        ]
        read_only_fields = fields

    def get_owner_name(self, objective: Objective) -> str | None:
        return display_name(objective.owner) or None

    def get_updated_by_name(self, objective: Objective) -> str | None:
        return display_name(objective.updated_by) or None

    def get_contributes_to(self, objective: Objective) -> list[int]:
        return [link.target_id for link in objective.links_out.all()]


class ObjectiveCreateSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    title = serializers.CharField(max_length=240)
    parent = serializers.IntegerField(required=False, allow_null=True)
    team = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("A team id of the company; default: the parent's team.")
    )
    owner = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    after = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Insert right after this sibling; default: last.")
    )


class ObjectiveUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text=_("The version you edited; a stale one answers 409."))
    title = serializers.CharField(max_length=240, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    team = serializers.IntegerField(required=False, allow_null=True, help_text=_("A team id of the company, or null."))
    owner = serializers.IntegerField(required=False, allow_null=True)
    state = serializers.ChoiceField(choices=Objective.State.choices, required=False)
    rollup = serializers.ChoiceField(choices=Objective.Rollup.choices, required=False)
    contributes_to = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Replaces the additional alignments.")
    )


class ObjectiveMoveSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    parent = serializers.IntegerField(allow_null=True, help_text=_("New parent objective; null = top level."))
    position = serializers.IntegerField(min_value=0, help_text=_("Index among the new siblings."))


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()


class KeyResultSerializer(serializers.ModelSerializer):
    owner_name = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text=_("0–1, by the key result's type."))

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "position",
            "title",
            "kind",
            "unit",
            "start_value",
            "target_value",
            "current_value",
            "weight",
            "owner",
            "owner_name",
            "confidence",
            "progress",
            "final_score",
            "last_check_in_at",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    def get_owner_name(self, key_result: KeyResult) -> str | None:
        return display_name(key_result.owner) or None

    def get_progress(self, key_result: KeyResult) -> str:
        return str(key_result.progress.quantize(selectors.QUANTUM))


class KeyResultCreateSerializer(serializers.Serializer):
    objective = serializers.IntegerField()
    title = serializers.CharField(max_length=240)
    kind = serializers.ChoiceField(choices=KeyResult.Kind.choices)
    unit = serializers.ChoiceField(choices=KeyResult.Unit.choices, default=KeyResult.Unit.NUMBER)
    start_value = serializers.DecimalField(max_digits=18, decimal_places=4, default=0)
    target_value = serializers.DecimalField(max_digits=18, decimal_places=4, required=False, default=1)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, default=1)
    owner = serializers.IntegerField(required=False, allow_null=True)
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2, default="0.5")


class KeyResultUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField(max_length=240, required=False)
    kind = serializers.ChoiceField(choices=KeyResult.Kind.choices, required=False)
    unit = serializers.ChoiceField(choices=KeyResult.Unit.choices, required=False)
    start_value = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    target_value = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    owner = serializers.IntegerField(required=False, allow_null=True)
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2, required=False)


class KeyResultMoveSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    objective = serializers.IntegerField()
    position = serializers.IntegerField(min_value=0)


class CheckInSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = CheckIn
        fields = ["id", "key_result", "value", "confidence", "comment", "author", "author_name", "is_automatic"]
        fields += ["created_at"]
        read_only_fields = fields

    def get_author_name(self, check_in: CheckIn) -> str | None:
        return display_name(check_in.author) or None


class CheckInCreateSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=18, decimal_places=4, help_text=_("Milestones: 1 done, 0 not done."))
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=0, max_value=1)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class KeyResultNodeSerializer(serializers.Serializer):
    """Documentation of a key result inside the nested cascade (the view builds plain dicts)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    start_value = serializers.DecimalField(max_digits=18, decimal_places=4)
    target_value = serializers.DecimalField(max_digits=18, decimal_places=4)
    current_value = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    confidence = serializers.DecimalField(max_digits=3, decimal_places=2)
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField(allow_null=True)
    version = serializers.IntegerField()
    last_check_in_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    expected = serializers.DecimalField(max_digits=5, decimal_places=4)
    delta_vs_expected = serializers.DecimalField(max_digits=5, decimal_places=4)
    status = serializers.ChoiceField(choices=["red", "amber", "green"])
    status_label = serializers.CharField()
    is_stale = serializers.BooleanField()


class CascadeNodeSerializer(serializers.Serializer):
    """Documentation of one objective of the nested cascade."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    team = TeamRefField(read_only=True)
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    rollup = serializers.CharField()
    version = serializers.IntegerField()
    depth = serializers.IntegerField(help_text=_("0 = top level."))
    parent = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    own_progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    subtree_progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    progress = serializers.DecimalField(max_digits=5, decimal_places=4)
    expected = serializers.DecimalField(max_digits=5, decimal_places=4)
    status = serializers.ChoiceField(choices=["red", "amber", "green"])
    status_label = serializers.CharField()
    ahead = serializers.BooleanField()
    is_measured = serializers.BooleanField()
    progress_note = serializers.CharField()
    contributes_to = serializers.ListField(child=serializers.DictField())
    key_results = KeyResultNodeSerializer(many=True)


CascadeNodeSerializer._declared_fields["children"] = CascadeNodeSerializer(many=True)


class CascadeSerializer(serializers.Serializer):
    cycle = CycleSerializer()
    signature = serializers.CharField(help_text=_("Changes whenever anything in the cascade changes."))
    objectives = CascadeNodeSerializer(many=True)
