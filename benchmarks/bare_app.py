"""The lightest Streamlit page with a figure: what any Streamlit dashboard on this
machine waits for at the least (``benchmarks.dashboard`` measures it beside ours)."""

import streamlit as st

st.title("Situation overview")
st.metric("Border incidents", "278")
