"""The action ids of a swap request's buttons: the outbound message shows them, the listener
answers them."""

ACCEPT = "swap_accept"
DECLINE = "swap_decline"
