"""overt's Guard as an AgentDojo defense: a pipeline element before the tool executor.

    from agentdojo.agent_pipeline import AgentPipeline, InitQuery, ToolsExecutionLoop, ToolsExecutor
    defense = OvertDefense(lambda: Guard(review=default_chain(), principal=Principal()))
    pipeline = AgentPipeline([InitQuery(), llm, ToolsExecutionLoop([defense, llm]), defense])

Each episode gets a fresh guard (from `make_guard`) whose tools come from the
runtime's functions, with the consequence levels in `CONSEQUENCES` (declared
for AgentDojo's four default suites from what each tool does; a tool not in
the table is undeclared and so treated as external). The principal's
instruction is the user message; every tool result is untrusted data.

In the loop, the element reviews the last assistant message's tool calls and
runs the approved ones with its `executor` (AgentDojo's `ToolsExecutor` by
default); the rest are removed from the message (so AgentDojo's checkers see
only what ran) and answered with a tool result whose error says why. After
the loop, it reviews the final answer and withholds it when the guard does not
approve. `log` keeps every (call, decision) of the current episode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from overt.agent.guard import Guard, GuardDecision
from overt.agent.tools import ConsequenceSpec, Tool

try:
    from agentdojo.agent_pipeline.base_pipeline_element import BasePipelineElement
    from agentdojo.agent_pipeline.tool_execution import ToolsExecutor
    from agentdojo.functions_runtime import EmptyEnv, Env, FunctionCall, FunctionsRuntime
    from agentdojo.types import (
        ChatAssistantMessage,
        ChatMessage,
        ChatToolResultMessage,
        get_text_content_as_str,
        text_content_block_from_string,
    )
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError("overt.adapters.agentdojo needs `pip install overt[agentdojo]`") from err


BLOCKED = "blocked by overt review"


def _participants(args: dict[str, Any]) -> str:
    return "external" if args.get("participants") else "reversible"


READ_ONLY = [
    "get_current_day",
    "get_day_calendar_events",
    "get_draft_emails",
    "get_file_by_id",
    "get_received_emails",
    "get_sent_emails",
    "get_unread_emails",
    "list_files",
    "search_calendar_events",
    "search_contacts_by_email",
    "search_contacts_by_name",
    "search_emails",
    "search_files",
    "search_files_by_filename",
    "get_channels",
    "get_users_in_channel",
    "read_channel_messages",
    "read_inbox",
    "get_balance",
    "get_iban",
    "get_most_recent_transactions",
    "get_scheduled_transactions",
    "get_user_info",
    "read_file",
    "check_restaurant_opening_hours",
    "get_all_car_rental_companies_in_city",
    "get_all_hotels_in_city",
    "get_all_restaurants_in_city",
    "get_car_fuel_options",
    "get_car_price_per_day",
    "get_car_rental_address",
    "get_car_types_available",
    "get_contact_information_for_restaurants",
    "get_cuisine_type_for_restaurants",
    "get_dietary_restrictions_for_all_restaurants",
    "get_flight_information",
    "get_hotels_address",
    "get_hotels_prices",
    "get_price_for_restaurants",
    "get_rating_reviews_for_car_rental",
    "get_rating_reviews_for_hotels",
    "get_rating_reviews_for_restaurants",
    "get_restaurants_address",
    "get_user_information",
]

CONSEQUENCES: dict[str, ConsequenceSpec] = {
    **dict.fromkeys(READ_ONLY, "read_only"),
    # files and settings the user can restore
    "append_to_file": "reversible",
    "create_file": "reversible",
    "add_user_to_channel": "reversible",
    "update_user_info": "reversible",
    # gone once done
    "delete_email": "irreversible",
    "delete_file": "irreversible",
    "remove_user_from_slack": "irreversible",
    "update_password": "irreversible",
    # reach people or servers outside the user's account
    "send_email": "external",
    "share_file": "external",
    "add_calendar_event_participants": "external",
    "cancel_calendar_event": "external",
    "reschedule_calendar_event": "external",
    "create_calendar_event": _participants,
    "get_webpage": "external",
    "post_webpage": "external",
    "send_channel_message": "external",
    "send_direct_message": "external",
    "invite_user_to_slack": "external",
    "send_money": "external",
    "schedule_transaction": "external",
    "update_scheduled_transaction": "external",
    "reserve_car_rental": "external",
    "reserve_hotel": "external",
    "reserve_restaurant": "external",
}
"""Consequence of each tool in AgentDojo's default suites, from what the tool does:
reading is read_only; changes the user can undo are reversible; deletions and password
changes are irreversible; anything that reaches another person or server is external
(fetching a web page included: the URL itself can carry data out)."""


def tools_from_runtime(
    runtime: FunctionsRuntime, consequences: dict[str, ConsequenceSpec] | None = None
) -> list[Tool]:
    """overt tools (schemas only; AgentDojo runs them) for a runtime's functions."""
    table = CONSEQUENCES if consequences is None else consequences
    return [
        Tool.from_pydantic(f.parameters, None, table.get(f.name), f.name, f.description)
        for f in runtime.functions.values()
    ]


def _text(message: ChatMessage) -> str:
    content = message.get("content")
    if content is None:
        return ""
    return content if isinstance(content, str) else get_text_content_as_str(content)


class OvertDefense(BasePipelineElement):
    """Review every tool call and the final answer with a per-episode `Guard`."""

    name = "overt_guard"

    def __init__(
        self,
        make_guard: Callable[[], Guard],
        consequences: dict[str, ConsequenceSpec] | None = None,
        executor: BasePipelineElement | None = None,
    ) -> None:
        self.make_guard = make_guard
        self.consequences = consequences
        self.executor = executor or ToolsExecutor()
        self.guard: Guard | None = None
        self.log: list[tuple[FunctionCall | None, GuardDecision]] = []

    def _episode(
        self, runtime: FunctionsRuntime, messages: Sequence[ChatMessage], extra: dict[str, Any]
    ) -> tuple[Guard, str, dict[str, Any]]:
        if extra.get("overt_run") and self.guard is not None:
            return self.guard, extra["overt_run"], extra
        guard = self.make_guard()
        guard.tools = type(guard.tools)(tools_from_runtime(runtime, self.consequences))
        instructions = [_text(m) for m in messages if m["role"] == "user"]
        run = guard.start(instructions or ["(no instruction)"], meta={"adapter": "agentdojo"})
        self.guard, self.log = guard, []
        return guard, run, {**extra, "overt_run": run, "overt_seen": 0}

    def before_review(
        self, guard: Guard, run: str, calls: list[FunctionCall], reasoning: str
    ) -> None:
        """Hook for measurements: called with the guard's state just before review."""

    def query(
        self,
        query: str,
        runtime: FunctionsRuntime,
        env: Env = EmptyEnv(),  # noqa: B008 - AgentDojo's signature
        messages: Sequence[ChatMessage] = [],
        extra_args: dict = {},  # noqa: B006
    ) -> tuple[str, FunctionsRuntime, Env, Sequence[ChatMessage], dict]:
        if not messages or messages[-1]["role"] != "assistant":
            return query, runtime, env, messages, extra_args
        guard, run, extra = self._episode(runtime, messages, extra_args)
        tool_messages = [m for m in messages if m["role"] == "tool"]
        for m in tool_messages[extra["overt_seen"] :]:
            call = m["tool_call"]
            if (m.get("error") or "").startswith(BLOCKED):
                continue
            output = m["error"] if m.get("error") else _text(m)
            guard.observe(run, call.function, output, args=dict(call.args), call=call.id)
        extra = {**extra, "overt_seen": len(tool_messages)}
        last = messages[-1]
        reasoning = _text(last)
        calls = list(last.get("tool_calls") or [])
        if not calls:
            decided = guard.review_sync(run, {"final": reasoning})
            self.log.append((None, decided))
            if decided.approved:
                return query, runtime, env, messages, extra
            withheld = f"[overt withheld this answer: {decided.why}]"
            answer = ChatAssistantMessage(
                role="assistant",
                content=[text_content_block_from_string(withheld)],
                tool_calls=None,
            )
            return query, runtime, env, [*messages[:-1], answer], extra
        self.before_review(guard, run, calls, reasoning)
        decisions = guard.review_batch_sync(
            run, [{"tool": c.function, "args": dict(c.args)} for c in calls], reasoning
        )
        self.log += list(zip(calls, decisions, strict=True))
        kept = [c for c, d in zip(calls, decisions, strict=True) if d.approved]
        refused = [
            ChatToolResultMessage(
                role="tool",
                content=[text_content_block_from_string("")],
                tool_call_id=c.id,
                tool_call=c,
                error=f"{BLOCKED} ({d.by}): {d.why}",
            )
            for c, d in zip(calls, decisions, strict=True)
            if not d.approved
        ]
        rewritten = ChatAssistantMessage(role="assistant", content=last["content"], tool_calls=kept)
        out: Sequence[ChatMessage] = [*messages[:-1], rewritten]
        if kept:
            query, runtime, env, out, extra = self.executor.query(query, runtime, env, out, extra)
        return query, runtime, env, [*out, *refused], extra
