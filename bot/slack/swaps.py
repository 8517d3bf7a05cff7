"""A swap request's Accept and Decline buttons: the request's message and the App Home show
the same ones, and the listener answers them by these action ids."""

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, PlainTextObject

ACCEPT = "swap_accept"
DECLINE = "swap_decline"


def swap_buttons(swap_id: int) -> ActionsBlock:
    value = str(swap_id)
    return ActionsBlock(
        block_id=f"swap:{swap_id}",
        elements=[
            ButtonElement(
                text=PlainTextObject(text="Accept"), action_id=ACCEPT, value=value, style="primary"
            ),
            ButtonElement(text=PlainTextObject(text="Decline"), action_id=DECLINE, value=value),
        ],
    )
